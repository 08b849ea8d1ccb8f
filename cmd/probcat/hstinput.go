package main

import (
	"flag"
	"fmt"
	"math"

	"github.com/probcat/probcat/fits"
	"github.com/probcat/probcat/model"
	"github.com/probcat/probcat/pipeline"
	"github.com/probcat/probcat/survey"
	"github.com/probcat/probcat/survey/hst"
	"github.com/probcat/probcat/survey/sdss"
)

// hstFlags are the sample flags for FITS images as users bring them: HST products (found by
// their SCI extension; see package survey/hst) and a --cutout of any FITS image.
type hstFlags struct {
	expTime, drizzleR float64
	benignDQ, chip    int
	wht, magSystem    string
	// info and cutout record what was read, for run.json.
	info   *hst.Info
	cutout string
}

func (h *hstFlags) register(fs *flag.FlagSet) {
	h.expTime, h.drizzleR = math.NaN(), math.NaN()
	fs.Float64Var(&h.expTime, "exptime", math.NaN(), "HST files: exposure time in seconds (default: EXPTIME card); rates (BUNIT .../S) are multiplied by it")
	fs.Float64Var(&h.drizzleR, "drizzle-r", math.NaN(), "HST drizzled files: noise-correlation factor R applied to an ERR map (default: Fruchter & Hook's R from D001PIXF and D001SCAL/D001ISCL, else 1.5)")
	fs.IntVar(&h.benignDQ, "dq-ignore", -1, "HST files: DQ bits that do not mask a pixel, summed (default: NICMOS 3072, others 0: every flag masks)")
	fs.StringVar(&h.wht, "wht", "ivm", "HST drizzled files: the WHT extension is an inverse variance (ivm) or is not used (ignore, for exposure-time weights)")
	fs.IntVar(&h.chip, "chip", 0, "HST files: the EXTVER of the SCI extension to read, with its ERR, WHT and DQ (ACS/WFC and WFC3/UVIS hold two chips; default: the first SCI)")
	fs.StringVar(&h.magSystem, "mag-system", "ab", "HST files: magnitudes from PHOTFLAM/PHOTPLAM in the ab or st system")
}

// refuseFor returns an error naming the first HST-only flag that is set, for a file (path)
// that is not an HST product.
func (h *hstFlags) refuseFor(path string) error {
	for _, fl := range []struct {
		name string
		set  bool
	}{{"exptime", !math.IsNaN(h.expTime)}, {"drizzle-r", !math.IsNaN(h.drizzleR)}, {"dq-ignore", h.benignDQ >= 0}, {"chip", h.chip != 0}} {
		if fl.set {
			return fmt.Errorf("--%s applies only to HST files (with a SCI extension), not to %s", fl.name, path)
		}
	}
	return nil
}

// readFITS reads a FITS image: an HST product through survey/hst, any other through
// survey.ReadFITS, then cut to --cutout (in the file's pixels; outputs stay in them). The
// header returned is the one holding the image.
func (f *sampleFlags) readFITS(path string) (*model.Image, *fits.Header, error) {
	h := &f.hst
	file, err := fits.Open(path)
	if err != nil {
		return nil, nil, err
	}
	var im *model.Image
	var hdr *fits.Header
	if hst.IsHST(file) {
		opt, err := h.options()
		if err != nil {
			return nil, nil, err
		}
		if im, h.info, err = hst.FromFile(file, opt); err != nil {
			return nil, nil, err
		}
		i, _ := hst.Extension(file, "SCI", h.info.Chip)
		hdr, _ = file.Header(i)
	} else {
		if err := h.refuseFor(path); err != nil {
			return nil, nil, err
		}
		if im, hdr, err = survey.FromFile(file); err != nil {
			return nil, nil, err
		}
	}
	if f.cutout != "" {
		b, err := sdss.ParseBox(f.cutout)
		if err != nil {
			return nil, nil, fmt.Errorf("--cutout: %v", err)
		}
		if im, err = survey.Cut(im, b.X0, b.Y0, b.W, b.H); err != nil {
			return nil, nil, fmt.Errorf("%s: --%v", path, err)
		}
		h.cutout = b.String()
	}
	return im, hdr, nil
}

// describeHST says in one line how an HST file was read.
func describeHST(in *hst.Info) string {
	units := "DN"
	if in.Electrons {
		units = "electrons"
	}
	conv := fmt.Sprintf("SCI in %q", in.BUnit)
	if in.Rate {
		conv += fmt.Sprintf(" × EXPTIME %g s", in.ExpTime)
	}
	gain := "unknown gain (give --gain)"
	if in.Gain > 0 {
		gain = fmt.Sprintf("gain %g e⁻/count from %s", in.Gain, in.GainFrom)
	}
	noise := "no ERR or WHT: noise from gain and read noise"
	if in.NoiseFrom != "" {
		noise = "noise from " + in.NoiseFrom
		if in.Drizzled {
			noise += fmt.Sprintf(" (drizzled, pixfrac %g, scale %g, R = %.3g)", in.Pixfrac, in.Scale, in.DrizzleR)
		}
	}
	mag := "no PHOTFLAM/EXPTIME: no magnitudes"
	if !math.IsNaN(in.ZPAB) || !math.IsNaN(in.ZPST) {
		mag = fmt.Sprintf("mag %s (ZP_AB %.4f, ZP_ST %.4f)", in.MagSystem, in.ZPAB, in.ZPST)
	}
	return fmt.Sprintf("HST %s %s chip %d: %s → counts (%s, %s); %s; masked %d (DQ), %d (saturated), %d (no variance or value); %s",
		in.Instrument, in.Filter, in.Chip, conv, units, gain, noise, in.MaskedDQ, in.MaskedSat, in.MaskedBad, mag)
}

// record adds what readFITS found to the job's run.json settings: the HST reading (hst, and
// input, the line reportNoise prints), the magnitude system and the cutout.
func (h *hstFlags) record(job *pipeline.Job, err error) (*pipeline.Job, error) {
	if err != nil {
		return nil, err
	}
	if h.info != nil {
		job.Settings["hst"] = h.info
		job.Settings["input"] = describeHST(h.info)
		job.Settings["mag_system"] = h.info.MagSystem
	}
	if h.cutout != "" {
		job.Settings["cutout"] = h.cutout
	}
	return job, nil
}

// options turns the HST flags into hst.Options, checking --wht.
func (h *hstFlags) options() (hst.Options, error) {
	if h.wht != "ivm" && h.wht != "ignore" {
		return hst.Options{}, fmt.Errorf("--wht wants ivm or ignore, got %q", h.wht)
	}
	return hst.Options{ExpTime: h.expTime, DrizzleR: h.drizzleR, BenignDQ: h.benignDQ,
		IgnoreWHT: h.wht == "ignore", MagSystem: h.magSystem, Chip: h.chip}, nil
}
