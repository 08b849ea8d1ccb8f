package tile

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/probcat/probcat/internal/atomicfile"
	"github.com/probcat/probcat/model"
	"github.com/probcat/probcat/pipeline"
	"github.com/probcat/probcat/render"
	"github.com/probcat/probcat/sampler"
)

// ManifestFile is the plan's file name inside its folder.
const ManifestFile = "manifest.json"

// manifestFormat is the version of the manifest layout (2 added the kernel path).
const manifestFormat = 2

// ImageInfo identifies the image a plan was made for.
type ImageInfo struct {
	// Path is the image as given to plan (made absolute).
	Path string `json:"path"`
	// Width, Height, X0 and Y0 describe the sampled image (a cutout's offset in its frame).
	Width  int `json:"width"`
	Height int `json:"height"`
	X0     int `json:"x0"`
	Y0     int `json:"y0"`
	// SHA256 is the fingerprint of the pixels, mask and calibration (see Fingerprint).
	SHA256 string `json:"sha256"`
}

// Manifest is a plan: the image, the flags that rebuild its sampling job, the tile grid and
// the seed. Every tile of it can then run on any machine that sees the plan's folder.
type Manifest struct {
	Format  int       `json:"format"`
	Version string    `json:"probcat_version"`
	Image   ImageInfo `json:"image"`
	// Flags are the command-line sample flags, by name, that rebuild the job (paths made
	// absolute); the flags that do not change results (threads, output, quiet) are left out.
	Flags   map[string]string `json:"flags"`
	Grid    Grid              `json:"grid"`
	Seed    uint64            `json:"seed"`
	Chains  int               `json:"chains"`
	Samples int               `json:"samples"`
	Tiles   []Tile            `json:"tiles"`
	// Kernel is the kernel path (render.Path) of the process that planned: every tile must
	// run on it for the merged files to be the bytes of a single-process run (CheckKernel).
	Kernel string `json:"kernel"`
}

// Fingerprint hashes what a job's results depend on in its image: size, offset, calibration,
// pixels, mask and variance map.
func Fingerprint(im *model.Image) string {
	h := sha256.New()
	fmt.Fprintf(h, "%d %d %d %d %g %g %g %g %v %g %v|", im.Width, im.Height, im.X0, im.Y0, im.Gain,
		im.Bias, im.Background, im.ReadNoise, im.Noise, im.ZeroPoint, im.HasZeroPoint)
	binary.Write(h, binary.LittleEndian, im.Pix)
	if im.Mask != nil {
		binary.Write(h, binary.LittleEndian, im.Mask)
	}
	if im.VarMap != nil {
		binary.Write(h, binary.LittleEndian, im.VarMap)
	}
	return hex.EncodeToString(h.Sum(nil))
}

// NewManifest plans job's image on a grid of size×size tiles shifted by (offX, offY), with a
// margin from the PSF's radius. imagePath and flags are recorded to rebuild the job later.
func NewManifest(job *pipeline.Job, imagePath string, flags map[string]string, size, offX, offY int) (*Manifest, error) {
	im := job.Image
	if im == nil || job.PSF == nil {
		return nil, errors.New("no image or PSF")
	}
	radius, err := job.SourceRadius()
	if err != nil {
		return nil, err
	}
	g := Grid{Width: im.Width, Height: im.Height, Size: size, Margin: MarginFor(radius),
		OffsetX: offX, OffsetY: offY}
	tiles, err := g.Tiles()
	if err != nil {
		return nil, err
	}
	if abs, err := filepath.Abs(imagePath); err == nil {
		imagePath = abs
	}
	return &Manifest{
		Format: manifestFormat, Version: pipeline.Version(),
		Image: ImageInfo{Path: imagePath, Width: im.Width, Height: im.Height, X0: im.X0, Y0: im.Y0,
			SHA256: Fingerprint(im)},
		Flags: flags, Grid: g, Seed: job.Config.Seed, Chains: job.Config.Chains,
		Samples: job.Config.Samples, Tiles: tiles, Kernel: render.Path(),
	}, nil
}

// Write writes the manifest to dir/manifest.json atomically.
func (m *Manifest) Write(dir string) error {
	js, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return err
	}
	return atomicfile.WriteBytes(filepath.Join(dir, ManifestFile), append(js, '\n'))
}

// ReadManifest reads dir/manifest.json and checks it is consistent.
func ReadManifest(dir string) (*Manifest, error) {
	path := filepath.Join(dir, ManifestFile)
	data, err := os.ReadFile(path)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil, fmt.Errorf("%s: no plan here (run probcat plan first)", path)
		}
		return nil, err
	}
	var m Manifest
	if err := json.Unmarshal(data, &m); err != nil {
		return nil, fmt.Errorf("%s: not a probcat manifest: %v", path, err)
	}
	if m.Format != manifestFormat {
		return nil, fmt.Errorf("%s: manifest format %d, this probcat reads %d", path, m.Format, manifestFormat)
	}
	tiles, err := m.Grid.Tiles()
	if err != nil {
		return nil, fmt.Errorf("%s: %v", path, err)
	}
	if len(tiles) != len(m.Tiles) {
		return nil, fmt.Errorf("%s: grid gives %d tiles, manifest lists %d", path, len(tiles), len(m.Tiles))
	}
	for i := range tiles {
		if tiles[i] != m.Tiles[i] {
			return nil, fmt.Errorf("%s: tile %d does not match the grid", path, i)
		}
	}
	if m.Chains < 1 || m.Samples < 1 {
		return nil, fmt.Errorf("%s: %d chains of %d samples", path, m.Chains, m.Samples)
	}
	if m.Grid.Width != m.Image.Width || m.Grid.Height != m.Image.Height {
		return nil, fmt.Errorf("%s: grid of %d×%d for an image of %d×%d", path, m.Grid.Width, m.Grid.Height, m.Image.Width, m.Image.Height)
	}
	return &m, nil
}

// Check reports whether job is the job the manifest was planned for: same image (size,
// offset, calibration, pixels), seed and numbers of chains and samples.
func (m *Manifest) Check(dir string, job *pipeline.Job) error {
	path := filepath.Join(dir, ManifestFile)
	im := job.Image
	radius := 0
	if job.PSF != nil {
		r, err := job.SourceRadius()
		if err != nil {
			return fmt.Errorf("%s: %w", path, err)
		}
		radius = r
	}
	switch {
	case im.Width != m.Image.Width || im.Height != m.Image.Height || im.X0 != m.Image.X0 || im.Y0 != m.Image.Y0:
		return fmt.Errorf("%s: planned for a %d×%d image at (%d, %d) but %s is %d×%d at (%d, %d)", path,
			m.Image.Width, m.Image.Height, m.Image.X0, m.Image.Y0, m.Image.Path, im.Width, im.Height, im.X0, im.Y0)
	case Fingerprint(im) != m.Image.SHA256:
		return fmt.Errorf("%s: %s has changed since it was planned (pixels, mask or calibration differ)", path, m.Image.Path)
	case job.Config.Seed != m.Seed || job.Config.Chains != m.Chains || job.Config.Samples != m.Samples:
		return fmt.Errorf("%s: planned with seed %d, %d chains of %d samples; the job has seed %d, %d chains of %d samples",
			path, m.Seed, m.Chains, m.Samples, job.Config.Seed, job.Config.Chains, job.Config.Samples)
	case job.PSF != nil && MarginFor(radius) != m.Grid.Margin:
		return fmt.Errorf("%s: planned with a margin of %d pixels, but the sources' stamps need %d", path, m.Grid.Margin, MarginFor(radius))
	}
	return nil
}

// CheckKernel reports whether this process runs the kernel path the plan in dir was made
// with, and if not how to make it (PROBCAT_KERNEL). Sampling tiles needs it; merging does not
// (it renders nothing), so a plan can be merged anywhere.
func (m *Manifest) CheckKernel(dir string) error {
	if err := sampler.KernelPathMismatch(m.Kernel, filepath.Join(dir, ManifestFile)); err != nil {
		return fmt.Errorf("%v (to sample the tiles of one plan on machines of different instruction sets, plan with a path they all have, e.g. PROBCAT_KERNEL=generic)", err)
	}
	return nil
}

// Dir returns the folder holding tile index's finished outputs.
func Dir(planDir string, index int) string {
	return filepath.Join(planDir, "tiles", fmt.Sprintf("%04d", index))
}

// Done reports whether tile index has finished (its folder exists: it appears in one rename).
func Done(planDir string, index int) bool {
	st, err := os.Stat(Dir(planDir, index))
	return err == nil && st.IsDir()
}
