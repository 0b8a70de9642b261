package importer_test

import (
	"bytes"
	"context"
	"fmt"
	"io/fs"
	"testing"

	"patuh/internal/db/dbtest"
	"patuh/internal/demo"
	"patuh/internal/importer"
)

func TestMain(m *testing.M) { dbtest.Main(m) }

func newImporter(t *testing.T) *importer.Importer {
	im, err := importer.New(dbtest.DB(t), t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	return im
}

// load imports one file and runs the worker until it has nothing left to do.
func load(t *testing.T, im *importer.Importer, kind string, data []byte) *importer.Import {
	t.Helper()
	ctx := context.Background()
	imp, _, err := im.Create(ctx, 0, "test", kind, kind+".csv", bytes.NewReader(data), nil)
	if err != nil {
		t.Fatalf("create %s: %v", kind, err)
	}
	if err := im.Drain(ctx); err != nil {
		t.Fatalf("drain %s: %v", kind, err)
	}
	imp, _ = im.Get(ctx, imp.ID)
	return imp
}

func TestSamples(t *testing.T) {
	im := newImporter(t)
	for _, kind := range demo.SampleOrder {
		data, _ := fs.ReadFile(demo.Samples, "samples/"+kind+".csv")
		imp := load(t, im, kind, data)
		errs, _ := im.Errors(context.Background(), imp.ID, 10)
		fmt.Printf("%s: %s total %d valid %d invalid %d warnings %d %v %s\n", kind, imp.Status, imp.RowsTotal, imp.RowsValid, imp.RowsInvalid, imp.Warnings, errs, imp.Failure)
	}
}
