"""Reference values from diffusers' schedulers for the parity tests of ddpm's samplers.

Every scheduler is driven by the exact noise predictor of Gaussian data, x_0 ~ N(mu, s^2) per
coordinate, on the paper's linear schedule (T = 1000): the sampler's arithmetic is then the only
thing under test. The chains' noise (x_T, each step's z, the churn) is drawn here and written out, so
that the Go tests (ddpm/solvers_test.go) replay the very same chain without Python. Also written: the
time steps of improved-diffusion's respacing (space_timesteps, one section) for every K, diffusers'
DDIM "leading" steps, DPM-Solver's steps and the Karras sigmas with their times.

    make diffusers-reference     # installs torch and diffusers into .venv-torch, then runs this

Output: ddpm/testdata/diffusers/reference.json (committed).
"""

import hashlib
import json
import os
import sys

import numpy as np
import torch
import diffusers
import diffusers.schedulers.scheduling_ddim as sched_ddim
import diffusers.schedulers.scheduling_ddpm as sched_ddpm
import diffusers.schedulers.scheduling_euler_discrete as sched_euler
from diffusers import (DDIMScheduler, DDPMScheduler, DPMSolverMultistepScheduler, EulerDiscreteScheduler,
                       HeunDiscreteScheduler)

T = 1000
BETAS = np.linspace(1e-4, 0.02, T)  # the paper's linear schedule, in float64 (ddpm.ScheduleLinear)
ALPHA_BAR = np.cumprod(1 - BETAS)
LOG_SIGMA = 0.5 * np.log((1 - ALPHA_BAR) / ALPHA_BAR)  # log sigma_t, sigma_t^2 = (1 - abar_t) / abar_t
# Per-coordinate data: some means near +-1 with wide spreads, so that clipping x_0 matters.
MU = np.array([0.5, -0.3, 0.9, -0.85, 0.0, 0.2])
S = np.array([0.3, 0.5, 0.25, 0.4, 1.0, 0.6])
N = 3


def alpha_bar_at(tau):
    """abar at diffusers' time step tau (0-based, maybe fractional): log sigma interpolated linearly."""
    ls = np.interp(tau, np.arange(T), LOG_SIGMA)
    return 1 / (1 + np.exp(2 * ls))


def eps_star(x, tau):
    """E[eps | x_t] for x_0 ~ N(MU, S^2): sqrt(1-abar) (x - sqrt(abar) MU) / (abar S^2 + 1 - abar)."""
    ab = alpha_bar_at(tau)
    return np.sqrt(1 - ab) * (x - np.sqrt(ab) * MU) / (ab * S**2 + 1 - ab)


class Noise:
    """Stands in for diffusers' randn_tensor: draws from a seeded NumPy generator and keeps each draw."""

    def __init__(self, seed):
        self.rng = np.random.default_rng(seed)
        self.draws = []

    def __call__(self, shape, generator=None, device=None, dtype=None, layout=None):
        z = self.rng.standard_normal(tuple(shape))
        self.draws.append(z)
        return torch.tensor(z, dtype=dtype or torch.float32)


def rows(a):
    return [[float(np.float32(v)) for v in row] for row in np.asarray(a, dtype=np.float64).reshape(N, -1)]


def run(name, scheduler, set_kwargs, step_kwargs, go, seed):
    """One chain: the states fed to the network before each full step (x_t, as the chain's x_t, not
    diffusers' sigma-scaled sample), the time steps, every noise draw in order, and the result."""
    float64_schedule(scheduler)
    noise = Noise(seed)
    for module in (sched_ddim, sched_ddpm, sched_euler):
        module.randn_tensor = noise
    x_T = noise((N, 1, len(MU)))  # the first draw (a channel axis: diffusers' thresholding wants one)
    scheduler.set_timesteps(**set_kwargs)
    sample = x_T * float(scheduler.init_noise_sigma)
    states, times = [], []
    for t in scheduler.timesteps:
        model_in = scheduler.scale_model_input(sample, t)
        full_step = not isinstance(scheduler, HeunDiscreteScheduler) or scheduler.state_in_first_order
        if full_step:
            states.append(rows(model_in.numpy()))
            times.append(float(t) + 1)  # ddpm counts time steps from 1
        eps = torch.tensor(eps_star(model_in.numpy().astype(np.float64), float(t)), dtype=torch.float32)
        sample = scheduler.step(eps, t, sample, **step_kwargs).prev_sample
    return {"name": name, "go": go, "times": times, "states": states, "result": rows(sample.numpy()),
            "noise": [rows(z) for z in noise.draws]}


def float64_schedule(scheduler):
    """diffusers keeps abar in float32, where 1 - abar_1 = 1e-4 keeps only 4 digits (sigma_min is off
    by 3e-4 relative, and the Karras sigmas with it); given the float64 abar, every scheduler computes
    its sigmas and coefficients from it, so that the comparison is of the algorithms alone."""
    scheduler.alphas_cumprod = torch.from_numpy(ALPHA_BAR.copy())
    return scheduler


def space_timesteps(K):
    """improved-diffusion's respacing of T steps into K, one section, as its docs describe it: a
    float stride (T-1)/(K-1) added up step by step, each sum rounded with Python's round; 1-based."""
    stride = 1 if K <= 1 else (T - 1) / (K - 1)
    at, steps = 0.0, []
    for _ in range(K):
        steps.append(round(at) + 1)
        at += stride
    return steps


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else "ddpm/testdata/diffusers/reference.json"
    betas = BETAS.tolist()
    ddpm = lambda variance: DDPMScheduler(num_train_timesteps=T, trained_betas=betas, variance_type=variance,
                                          clip_sample=True)
    ddim = lambda clip: DDIMScheduler(num_train_timesteps=T, trained_betas=betas, clip_sample=clip,
                                      set_alpha_to_one=True, steps_offset=0, timestep_spacing="leading")
    dpm = lambda clip: DPMSolverMultistepScheduler(num_train_timesteps=T, trained_betas=betas,
                                                   algorithm_type="dpmsolver++", solver_order=2,
                                                   solver_type="midpoint", thresholding=clip, sample_max_value=1.0)
    euler = lambda: EulerDiscreteScheduler(num_train_timesteps=T, trained_betas=betas, use_karras_sigmas=True)
    heun = lambda clip: HeunDiscreteScheduler(num_train_timesteps=T, trained_betas=betas, use_karras_sigmas=True,
                                              clip_sample=clip)
    even50 = [t - 1 for t in reversed(space_timesteps(50))]
    cases = [
        run("ancestral beta, T steps", ddpm("fixed_large"), {"num_inference_steps": T}, {},
            {"variance": "beta", "clip": True, "steps": ""}, 1),
        run("ancestral posterior, 50 evenly spaced", ddpm("fixed_small"), {"timesteps": even50}, {},
            {"variance": "posterior", "clip": True, "steps": "50"}, 2),
        run("DDIM eta 0, ddim10", ddim(False), {"num_inference_steps": 10}, {"eta": 0.0},
            {"ddim": True, "steps": "ddim10"}, 3),
        run("DDIM eta 0 clipped, ddim20", ddim(True), {"num_inference_steps": 20},
            {"eta": 0.0, "use_clipped_model_output": True}, {"ddim": True, "clip": True, "steps": "ddim20"}, 4),
        run("DDIM eta 1, ddim50", ddim(False), {"num_inference_steps": 50}, {"eta": 1.0},
            {"ddim": True, "eta": 1.0, "steps": "ddim50"}, 5),
        run("DPM-Solver++(2M), 1 step", dpm(False), {"num_inference_steps": 1}, {}, {"solver": "dpm++2m", "k": 1}, 13),
        run("DPM-Solver++(2M), 5 steps", dpm(False), {"num_inference_steps": 5}, {}, {"solver": "dpm++2m", "k": 5}, 6),
        run("DPM-Solver++(2M), 10 steps", dpm(False), {"num_inference_steps": 10}, {}, {"solver": "dpm++2m", "k": 10}, 7),
        run("DPM-Solver++(2M) clipped, 20 steps", dpm(True), {"num_inference_steps": 20}, {},
            {"solver": "dpm++2m", "k": 20, "clip": True}, 8),
        run("Euler (Karras), 10 steps", euler(), {"num_inference_steps": 10}, {}, {"solver": "euler", "k": 10}, 9),
        run("Euler (Karras), 25 steps", euler(), {"num_inference_steps": 25}, {}, {"solver": "euler", "k": 25}, 10),
        run("Heun (Karras), 5 steps", heun(False), {"num_inference_steps": 5}, {}, {"solver": "heun", "k": 5}, 11),
        run("Heun (Karras) clipped, 10 steps", heun(True), {"num_inference_steps": 10}, {},
            {"solver": "heun", "k": 10, "clip": True}, 12),
    ]

    def timesteps(scheduler, K):
        scheduler.set_timesteps(K)
        return sorted(int(t) + 1 for t in scheduler.timesteps)

    karras = []
    for K in (2, 5, 10, 50, 200):
        e = float64_schedule(euler())
        e.set_timesteps(K)
        karras.append({"k": K, "sigmas": [float(s) for s in e.sigmas], "times": [float(t) + 1 for t in e.timesteps]})
    ref = {
        "generator": f"scripts/diffusers_reference.py with diffusers {diffusers.__version__}, torch {torch.__version__}, "
                     f"numpy {np.__version__}",
        "T": T, "mu": MU.tolist(), "s": S.tolist(),
        "cases": cases,
        # sha256 of the comma-joined 1-based steps of improved-diffusion's space_timesteps(T, [K]).
        "space_timesteps_sha256": {str(K): hashlib.sha256(",".join(map(str, space_timesteps(K))).encode()).hexdigest()
                                   for K in range(2, T + 1)},
        "space_timesteps_examples": {str(K): space_timesteps(K) for K in (2, 3, 7, 10, 13)},
        "ddim_leading": {str(K): timesteps(ddim(False), K) for K in (3, 7, 10, 50, 333)},
        "dpm_solver_steps": {str(K): timesteps(dpm(False), K) for K in list(range(1, 31)) + [50, 99, 250, 999, 1000]},
        "karras": karras,
    }
    os.makedirs(os.path.dirname(out), exist_ok=True)
    with open(out + ".tmp", "w") as f:
        json.dump(ref, f, separators=(",", ":"))
    os.replace(out + ".tmp", out)
    print(f"wrote {out} ({os.path.getsize(out)} bytes, {len(cases)} chains)")


if __name__ == "__main__":
    main()
