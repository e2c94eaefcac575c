//go:build !unix

package bench

import "time"

// processCPU is not measured on this platform; the Go generator's CPU cost is then reported as 0.
func processCPU() time.Duration { return 0 }
