//go:build purego || !amd64

package render

// accelerated returns no assembly paths: this build is portable Go only.
func accelerated() []*kernels { return nil }
