// Command testsummary reads `go test -json` on stdin and prints what a person needs: each
// package's result, the full output of every failed test, how many tests ran, passed, failed
// and were skipped, and, loudly, when the browser journeys were skipped because chromium is
// missing. It exits 1 when anything failed, so `make test` fails with it.
package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"
	"sort"
	"strings"
)

type event struct {
	Action     string
	Package    string
	Test       string
	Output     string
	Elapsed    float64
	ImportPath string
}

func main() {
	outputs := map[string]*strings.Builder{} // package/test -> its output, kept until it passes
	var passed, failed, skipped int
	var failures, browserSkips []string
	failedPackage := false
	testFailedIn := map[string]bool{} // packages with a failed test, whose output says why
	in := bufio.NewScanner(os.Stdin)
	in.Buffer(make([]byte, 1<<20), 64<<20)
	for in.Scan() {
		line := in.Bytes()
		var e event
		if err := json.Unmarshal(line, &e); err != nil || e.Action == "" {
			fmt.Println(string(line)) // not JSON: a message of the go command itself
			continue
		}
		key := e.Package + " " + e.Test
		switch e.Action {
		case "build-output":
			fmt.Print(e.Output)
		case "build-fail":
			failedPackage = true
			fmt.Printf("FAIL %s [build failed]\n", e.ImportPath)
		case "output":
			b := outputs[key]
			if b == nil {
				b = &strings.Builder{}
				outputs[key] = b
			}
			b.WriteString(e.Output)
		case "pass", "fail", "skip":
			out := ""
			if b := outputs[key]; b != nil {
				out = b.String()
			}
			delete(outputs, key)
			if e.Test == "" { // the package's own result
				switch e.Action {
				case "fail":
					failedPackage = true
					fmt.Printf("FAIL %s (%.1fs)\n", e.Package, e.Elapsed)
					for _, l := range strings.Split(out, "\n") {
						if strings.HasPrefix(l, "-test.shuffle ") { // the order to run again: go test -shuffle=N
							fmt.Println("     order:", l)
						}
					}
					if !testFailedIn[e.Package] {
						fmt.Print(indent(out)) // TestMain or a panic outside any test
					}
				case "pass":
					fmt.Printf("ok   %s (%.1fs)\n", e.Package, e.Elapsed)
				}
				continue
			}
			if strings.Contains(e.Test, "/") {
				if e.Action == "fail" {
					failures = append(failures, key+"\n"+indent(out))
				}
				continue // subtests count with their test
			}
			switch e.Action {
			case "pass":
				passed++
			case "fail":
				failed++
				testFailedIn[e.Package] = true
				failures = append(failures, key+"\n"+indent(out))
			case "skip":
				skipped++
				if strings.Contains(out, "chromium not installed") {
					browserSkips = append(browserSkips, e.Test)
				}
			}
		}
	}
	for _, f := range failures {
		fmt.Println("\n--- FAIL: " + f)
	}
	fmt.Printf("\n%d tests: %d passed, %d failed, %d skipped\n", passed+failed+skipped, passed, failed, skipped)
	if len(browserSkips) > 0 {
		sort.Strings(browserSkips)
		fmt.Printf(`
**********************************************************************
* %d BROWSER JOURNEYS WERE SKIPPED: chromium is not installed.
* They are part of the suite; install it and run make test again:
*     sudo apt-get install chromium
* (PATUH_REQUIRE_BROWSER=1 makes a missing chromium a failure.)
* Skipped: %s
**********************************************************************
`, len(browserSkips), strings.Join(browserSkips, ", "))
	}
	if failed > 0 || failedPackage {
		os.Exit(1)
	}
}

func indent(s string) string {
	if s == "" {
		return ""
	}
	return "    " + strings.ReplaceAll(strings.TrimRight(s, "\n"), "\n", "\n    ") + "\n"
}
