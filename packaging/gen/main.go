// Command gen writes the cardmod Windows packaging files (cardmod.inf,
// cardmod.reg, cardmod.wxs) generated from packaging/cards.go.
//
//	go run ./packaging/gen [-out build/packaging] [-version 0.1.0] [-date 2026-11-25]
//
// Without -date, SOURCE_DATE_EPOCH (if set) gives the INF DriverVer date,
// otherwise the fixed default of packaging.DefaultOptions: the output never
// depends on the clock.
package main

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"time"

	"github.com/cardmod/cardmod/packaging"
)

func main() {
	out := flag.String("out", filepath.Join("build", "packaging"), "output directory")
	version := flag.String("version", packaging.DefaultOptions.Version, "product version (1 to 4 dot-separated numbers)")
	date := flag.String("date", "", "INF DriverVer date, YYYY-MM-DD (default: SOURCE_DATE_EPOCH, else "+packaging.DefaultOptions.Date.Format("2006-01-02")+")")
	flag.Parse()
	if flag.NArg() != 0 {
		fail(fmt.Errorf("unexpected arguments: %v", flag.Args()))
	}

	o := packaging.Options{Version: *version, Date: packaging.DefaultOptions.Date}
	switch {
	case *date != "":
		t, err := time.Parse("2006-01-02", *date)
		if err != nil {
			fail(fmt.Errorf("-date: %w", err))
		}
		o.Date = t
	case os.Getenv("SOURCE_DATE_EPOCH") != "":
		n, err := strconv.ParseInt(os.Getenv("SOURCE_DATE_EPOCH"), 10, 64)
		if err != nil {
			fail(fmt.Errorf("SOURCE_DATE_EPOCH: %w", err))
		}
		o.Date = time.Unix(n, 0).UTC()
	}

	files, err := packaging.Files(o)
	if err != nil {
		fail(err)
	}
	if err := os.MkdirAll(*out, 0o755); err != nil {
		fail(err)
	}
	names := make([]string, 0, len(files))
	for name := range files {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		path := filepath.Join(*out, name)
		if err := os.WriteFile(path, files[name], 0o644); err != nil {
			fail(err)
		}
		fmt.Println("wrote", path)
	}
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "gen:", err)
	os.Exit(1)
}
