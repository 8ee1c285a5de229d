package main

import (
	"fmt"
	"slices"

	"github.com/learn-ddpm/ddpm-go/data"
	"github.com/learn-ddpm/ddpm-go/ddpm"
)

// datasetNames lists what --dataset accepts.
var datasetNames = append([]string{"mnist", "cifar10", "folder"}, data.Toy2DNames...)

// loadedData is a training set flattened to [n, dims...] in [−1, 1].
type loadedData struct {
	Name   string
	Values []float32
	Dims   []int
}

// loadDataset reads --dataset from --data (a folder; MNIST defaults to the GoMNIST module).
func loadDataset(name, dir string, resize int, gray bool, toyN int, seed uint64) (*loadedData, error) {
	images := func(im *data.Images) *loadedData {
		return &loadedData{Name: name, Values: im.Scaled(0, im.N), Dims: []int{im.Height, im.Width, im.Channels}}
	}
	switch {
	case name == "mnist":
		m, err := data.LoadMNIST(dir)
		if err != nil {
			return nil, err
		}
		return images(m.Train), nil
	case name == "cifar10":
		if dir == "" {
			return nil, fmt.Errorf("--dataset cifar10 needs --data, the folder with data_batch_1.bin … data_batch_5.bin")
		}
		train, _, _, _, err := data.LoadCIFAR10(dir)
		if err != nil {
			return nil, err
		}
		return images(train), nil
	case name == "folder":
		if dir == "" {
			return nil, fmt.Errorf("--dataset folder needs --data, a folder of PNG or JPEG images")
		}
		// The decoded bytes, then their float32 copy and the batches: a fifth of what is available.
		limit, _ := ddpm.AvailableMemory()
		im, err := data.LoadImageFolder(dir, data.FolderOptions{Resize: resize, Gray: gray, MaxBytes: limit / 5})
		if err != nil {
			return nil, err
		}
		return images(im), nil
	case slices.Contains(data.Toy2DNames, name):
		points, err := data.Toy2D(name, toyN, seed)
		if err != nil {
			return nil, err
		}
		return &loadedData{Name: name, Values: points, Dims: []int{2}}, nil
	default:
		return nil, fmt.Errorf("--dataset %q: valid data sets are %v", name, datasetNames)
	}
}
