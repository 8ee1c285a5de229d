// Package ddpm implements Denoising Diffusion Probabilistic Models (Ho, Jain and Abbeel, 2020) on
// GoMLX.
//
// The package follows the paper's objects one to one:
//
//   - Schedule: the variances β_t of the forward process and every quantity derived from them
//     (α_t, ᾱ_t, √ᾱ_t, √(1−ᾱ_t), the posterior variance β̃_t, ...), computed once on the host in
//     float64 and handed to graphs as constants.
//   - The forward process q: one noising step q(x_t | x_{t−1}), the closed form q(x_t | x_0) and the
//     posterior q(x_{t−1} | x_t, x_0), as GoMLX graph functions of a Schedule.
//   - Sampler: the reverse process, as the paper's Algorithm 2 (σ_t² = β_t, β̃_t or a learned Σ_θ), on
//     all T steps or a respaced subset, as DDIM, or as a few-step solver of the probability-flow ODE
//     (DPM-Solver++(2M), Karras et al.'s Euler and Heun); each checked step by step against the
//     diffusers scheduler of its name.
//   - NewBackend: the XLA (PJRT) backend, found without any environment set up by the user.
//
// Time steps follow the paper: t runs from 1 to T. Tables in a Schedule have T+1 entries so that
// index t holds the value at step t; index 0 holds the boundary t = 0 (ᾱ_0 = 1, β_0 = 0).
//
// Graph-building functions panic on misuse (GoMLX's convention); functions that take
// configuration, files or the backend return errors that name the offending value.
package ddpm
