package demo

import "embed"

// Samples are the four sample files of shared/samples, consistent with each other, in the
// order they must be imported.
//
//go:embed samples/*.csv
var Samples embed.FS

var SampleOrder = []string{"employers", "bpjs_employers", "workers", "participants"}
