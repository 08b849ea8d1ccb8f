package pipeline

import (
	"math"

	"github.com/probcat/probcat/catalogue"
	"github.com/probcat/probcat/figure"
	"github.com/probcat/probcat/model"
)

// plotDiagnostics draws the diagnostics PNG (figure.Diagnostics) of one image's run: traces
// of N and of the log-likelihood per chain, the residual map in units of σ of the
// posterior-mean model, the histogram of log10 flux over all kept samples and the number
// counts.
func plotDiagnostics(path string, recs [][]record, im *model.Image, mean []float32, counts *catalogue.Counts, sky *skyPosterior) error {
	d := figure.Diagnostics{
		NTitle: "number of sources", LogLikeTitle: "log-likelihood",
		N: make([][]float64, len(recs)), LogLike: make([][]float64, len(recs)),
		Counts: counts,
	}
	var flux figure.LogFluxes
	for c, rs := range recs {
		d.N[c], d.LogLike[c] = make([]float64, len(rs)), make([]float64, len(rs))
		for i := range rs {
			d.N[c][i], d.LogLike[c][i] = float64(len(rs[i].X)), rs[i].LogLike
			for _, f := range rs[i].Flux {
				flux.Add(f)
			}
		}
	}
	d.Flux = &flux
	w := im.InverseVariance(sky.weightModel(im, mean))
	chi := make([]float64, len(mean))
	for i := range mean {
		chi[i] = (float64(im.Pix[i]) - im.Bias - sky.at(i) - float64(mean[i])) * math.Sqrt(float64(w[i]))
	}
	d.Residual = figure.PixelResidual(im.Width, im.Height, chi)
	return figure.PlotDiagnostics(path, d)
}
