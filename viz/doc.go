// Package viz draws the figures of the course and of the command line as PNG images: line plots of
// schedules and losses, and grids of images with captions. Notebooks show the bytes with
// gonbui.DisplayPNG; commands write them to files.
package viz
