package main

import (
	"fmt"
	"io"

	"github.com/probcat/probcat/model"
	"github.com/probcat/probcat/pipeline"
)

// chooseNoise sets im's noise model from --noise, else from the image's NOISE card (noiseCard),
// else by model.DefaultNoise, and returns a line saying which and why, for stderr and run.json.
// It runs once the gain, sky and read noise are final, since the default depends on them.
func (f *sampleFlags) chooseNoise(im *model.Image, noiseCard bool) (string, error) {
	switch {
	case f.noise != "":
		n, err := model.ParseNoiseModel(f.noise)
		if err != nil {
			return "", err
		}
		im.Noise = n
		return fmt.Sprintf("%v (--noise)", n), nil
	case noiseCard:
		return fmt.Sprintf("%v (NOISE card)", im.Noise), nil
	}
	n, why := model.DefaultNoise(im)
	im.Noise = n
	return fmt.Sprintf("%v (default, %s; give --noise to choose)", n, why), nil
}

// reportNoise prints how the input was read (for an HST file), the job's noise model and why
// it was chosen, and any note on its PSF.
func reportNoise(w io.Writer, job *pipeline.Job) {
	if s, ok := job.Settings["input"].(string); ok {
		fmt.Fprintln(w, s)
	}
	if s, ok := job.Settings["noise_choice"].(string); ok {
		fmt.Fprintf(w, "noise model: %s\n", s)
	}
	if s, ok := job.Settings["psf_note"].(string); ok {
		fmt.Fprintln(w, "note: "+s)
	}
}
