// Package survey turns files from surveys and from other cataloguing codes into probcat's
// model.Image: PCAT's text inputs, generic FITS images with probcat's header cards, and (in
// the sdss subpackage) SDSS calibrated frames with their psField PSF and masks. It also reads
// other codes' and instruments' reference catalogues (Reference); the m2 subpackage gives
// the M2 benchmark's references and calibration to package score.
package survey
