package reports

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
)

// chromium finds a Chromium to drive: $TANGLE_CHROMIUM, else chromium,
// chromium-browser or google-chrome on PATH.
func chromium() string {
	if p := os.Getenv("TANGLE_CHROMIUM"); p != "" {
		return p
	}
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	return ""
}

// needBrowser skips the test where Chromium or the embedded ECharts is
// missing on a developer's machine, and fails it in CI, where .ci/run
// installs both.
func needBrowser(t *testing.T) string {
	t.Helper()
	ci := os.Getenv("CI") == "true"
	bin := chromium()
	switch {
	case bin == "" && ci:
		t.Fatal("CI=true but no chromium found: .ci/run must install Debian's chromium package")
	case bin == "":
		t.Skip("skipping the browser test: no chromium on PATH (apt-get install chromium, or set TANGLE_CHROMIUM)")
	case !EChartsEmbedded() && ci:
		t.Fatal("CI=true but this build has no embedded ECharts: run `make assets` (make test does)")
	case !EChartsEmbedded():
		t.Skip("skipping the browser test: this build has no embedded ECharts (run `make assets`)")
	}
	return bin
}

// pageResult is what loading one report in the browser showed.
type pageResult struct {
	errors   []string // console errors and uncaught exceptions
	requests []string // requests other than the file itself
	pixels   map[string]int
	drawn    string
	shot     []byte
}

// load opens file in a fresh tab with the network off, waits for the
// charts, counts each chart's painted pixels, runs check (extra checks in
// the page, if any) and takes a full-page screenshot if shot.
func load(t *testing.T, browser context.Context, file string, check func(ctx context.Context) error, shot bool) pageResult {
	t.Helper()
	ctx, cancel := chromedp.NewContext(browser)
	defer cancel()
	ctx, cancelT := context.WithTimeout(ctx, 60*time.Second)
	defer cancelT()

	var mu sync.Mutex
	var res pageResult
	url := "file://" + file
	chromedp.ListenTarget(ctx, func(ev any) {
		mu.Lock()
		defer mu.Unlock()
		switch e := ev.(type) {
		case *runtime.EventConsoleAPICalled:
			if e.Type == runtime.APITypeError || e.Type == runtime.APITypeAssert {
				var parts []string
				for _, a := range e.Args {
					parts = append(parts, string(a.Value)+a.Description)
				}
				res.errors = append(res.errors, "console."+string(e.Type)+": "+strings.Join(parts, " "))
			}
		case *runtime.EventExceptionThrown:
			msg := e.ExceptionDetails.Text
			if e.ExceptionDetails.Exception != nil {
				msg += " " + e.ExceptionDetails.Exception.Description
			}
			res.errors = append(res.errors, "exception: "+msg)
		case *log.EventEntryAdded:
			if e.Entry.Level == log.LevelError {
				res.errors = append(res.errors, "log: "+e.Entry.Text+" "+e.Entry.URL)
			}
		case *network.EventRequestWillBeSent:
			if u := e.Request.URL; u != url && !strings.HasPrefix(u, "data:") {
				res.requests = append(res.requests, u)
			}
		}
	})
	err := chromedp.Run(ctx,
		network.Enable(),
		network.EmulateNetworkConditions(true, 0, -1, -1), // offline
		log.Enable(),
		runtime.Enable(),
		chromedp.EmulateViewport(1280, 900),
		chromedp.Navigate(url),
		chromedp.Poll(`document.body && document.body.getAttribute("data-charts")`, &res.drawn, chromedp.WithPollingTimeout(20*time.Second)),
		chromedp.Evaluate(`(() => {
			const out = {};
			for (const el of document.querySelectorAll(".chart")) {
				let n = 0;
				for (const c of el.querySelectorAll("canvas")) {
					const d = c.getContext("2d").getImageData(0, 0, c.width, c.height).data;
					for (let i = 3; i < d.length; i += 4) if (d[i] !== 0) n++;
				}
				out[el.id] = n;
			}
			return out;
		})()`, &res.pixels),
		chromedp.ActionFunc(func(ctx context.Context) error {
			if check == nil {
				return nil
			}
			return check(ctx)
		}),
		chromedp.ActionFunc(func(ctx context.Context) error {
			if !shot {
				return nil
			}
			return chromedp.FullScreenshot(&res.shot, 100).Do(ctx) // quality 100: PNG
		}),
	)
	mu.Lock()
	defer mu.Unlock()
	if err != nil {
		t.Fatalf("%s: %v; console errors: %q; requests: %q", filepath.Base(file), err, res.errors, res.requests)
	}
	return res
}

// TestReportInBrowser opens reports in headless Chromium with the network
// off: each loads without console errors or network requests, every chart
// draws, and a user string with markup stays text. Full-page screenshots
// of the results, sweep and service-graph reports go to the test's temp
// directory and, when $TANGLE_SCREENSHOT names a .png file, there too (the
// sweep's and the graph's beside it as NAME-sweep.png and NAME-graph.png).
func TestReportInBrowser(t *testing.T) {
	bin := needBrowser(t)
	dir := t.TempDir()
	write := func(name, html string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(html), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	evil := fixture(t)
	const name = `x</script><script>window.pwned=1</script><img src=x onerror="window.pwned=2">`
	evil.Scenario.Name = name
	evil.Strategies[0].Name = `rr<img src=y onerror="window.pwned=3">`
	pages := []struct {
		name, file string
		shot       bool
		check      func(ctx context.Context) error
	}{
		{"report", write("report.html", renderHTML(t, fixture(t), HTMLOptions{})), true, nil},
		{"sweep", write("sweep.html", renderSweep(t, sweepFixture(), HTMLOptions{})), true, nil},
		// a service graph (retry-amplification): the graph pictures and the
		// per-service and per-edge series draw too
		{"graph", write("graph.html", renderHTML(t, graphFixture(t), HTMLOptions{})), true, func(ctx context.Context) error {
			var pictures int
			if err := chromedp.Run(ctx, chromedp.Evaluate(`document.querySelectorAll("#graph .chart").length`, &pictures)); err != nil {
				return err
			}
			if pictures < 3*9 { // per strategy: the picture and 8 series
				return fmt.Errorf("%d charts in the service graph section, want at least 27", pictures)
			}
			return nil
		}},
		{"escaping", write("escaping.html", renderHTML(t, evil, HTMLOptions{})), false, func(ctx context.Context) error {
			var pwned bool
			var h1 string
			if err := chromedp.Run(ctx,
				chromedp.Evaluate(`window.pwned !== undefined`, &pwned),
				chromedp.Text("h1", &h1, chromedp.ByQuery),
			); err != nil {
				return err
			}
			if pwned {
				return fmt.Errorf("a user string ran script (window.pwned is set)")
			}
			if h1 != name {
				return fmt.Errorf("h1 shows %q, want the name as text %q", h1, name)
			}
			return nil
		}},
	}

	// An empty profile of its own, outside t.TempDir: Chromium's helper
	// processes may still be writing to it for a moment after it quits.
	profile, err := os.MkdirTemp("", "tangle-chromium-")
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		for range 20 {
			if os.RemoveAll(profile) == nil {
				return
			}
			time.Sleep(100 * time.Millisecond)
		}
	}()
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(bin),
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("hide-scrollbars", true),
		chromedp.UserDataDir(profile),
	)
	alloc, cancel := chromedp.NewExecAllocator(context.Background(), opts...)
	defer cancel()
	browser, cancelB := chromedp.NewContext(alloc)
	defer cancelB()
	if err := chromedp.Run(browser); err != nil {
		t.Fatalf("starting %s: %v", bin, err)
	}
	defer chromedp.Cancel(browser) // closes the browser and waits for it

	for _, pg := range pages {
		res := load(t, browser, pg.file, pg.check, pg.shot)
		for _, e := range res.errors {
			t.Errorf("%s: %s", pg.name, e)
		}
		for _, u := range res.requests {
			t.Errorf("%s: network request to %s", pg.name, u)
		}
		if res.drawn == "" || res.drawn == "unavailable" || res.drawn == "0" {
			t.Errorf("%s: charts drawn = %q", pg.name, res.drawn)
		}
		if fmt.Sprint(len(res.pixels)) != res.drawn {
			t.Errorf("%s: %d chart elements, %s drawn", pg.name, len(res.pixels), res.drawn)
		}
		for id, n := range res.pixels {
			// a drawn chart paints its axes, labels and data: thousands of pixels
			if n < 2000 {
				t.Errorf("%s: chart %s painted %d pixels: empty canvas", pg.name, id, n)
			}
		}
		if !pg.shot {
			t.Logf("%s: %s charts drawn", pg.name, res.drawn)
			continue
		}
		png := filepath.Join(dir, pg.name+".png")
		if err := os.WriteFile(png, res.shot, 0o644); err != nil {
			t.Fatal(err)
		}
		if dst := os.Getenv("TANGLE_SCREENSHOT"); dst != "" {
			if pg.name != "report" {
				dst = strings.TrimSuffix(dst, ".png") + "-" + pg.name + ".png"
			}
			if err := os.WriteFile(dst, res.shot, 0o644); err != nil {
				t.Fatal(err)
			}
			t.Logf("%s: screenshot copied to %s", pg.name, dst)
		}
		t.Logf("%s: %s charts drawn, screenshot %s (%d bytes)", pg.name, res.drawn, png, len(res.shot))
	}
}
