// Package sdss reads SDSS imaging products (DR8+ photometric reruns) into probcat's model:
// calibrated frames (frame-*.fits.bz2) turned back into counts, the KL-basis PSF of psField
// files reconstructed at any position of the frame, fpM pixel masks, and the gain and dark
// variance of photoField (or psField) files. Load puts them together into one model.Image
// and psf.PSF for a cutout of the frame.
//
// Several bands. The five bands of a field are exposed one after another, so a star lands a
// few pixels apart in their frames. OpenBands reads one cutout per band: positions live in
// the reference band's frame pixels and a BandMap takes them to each other band's, through
// the sky with the frames' TAN WCS (or their SDSS astrometric solution, AsTrans).
//
// Conventions. Pixel coordinates are 0-based with pixel centres at integers, x = column and
// y = row of the frame (numpy's image[y, x]). SDSS's own photo pipeline puts pixel centres at
// half-integers; the conversion is done here (see KLPSF.At). Cutouts keep X0 and Y0 so that
// positions found in them convert back to the frame, whose WCS they share.
//
// Counts. A frame holds sky-subtracted, flat-fielded, calibrated nanomaggies. Following the
// SDSS data model, the counts (data numbers) are
//
//	counts = image/calib[col] + sky(row, col)
//
// where calib is the per-column calibration in HDU1 (nanomaggies per count, flat field
// included) and sky is the bilinear interpolation of the ALLSKY grid of HDU2 at
// (XINTERP[col], YINTERP[row]), clamped at the grid's edges as IDL's INTERPOLATE does. Their
// variance is counts/gain + dark_variance (in counts²).
package sdss
