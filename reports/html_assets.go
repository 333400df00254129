package reports

import (
	"embed"
	"strings"
)

// echartsPinned is the ECharts version package.json pins (a test checks
// they agree): the CDN fallback loads exactly this version.
const echartsPinned = "5.4.3"

// echartsCDN is where a report built without the embedded asset loads
// ECharts from.
const echartsCDN = "https://cdn.jsdelivr.net/npm/echarts@" + echartsPinned + "/dist/echarts.min.js"

// assets holds what `make assets` copied from npm (reports/assets/README.md):
// echarts.min.js, its version and its license texts. Only the README is
// committed, so a plain `go build` embeds no JS and reports fall back to
// the CDN.
//
//go:embed assets
var assets embed.FS

func asset(name string) string {
	b, err := assets.ReadFile("assets/" + name)
	if err != nil {
		return ""
	}
	return string(b)
}

// echarts is the embedded library, or "" when the build has none.
var echarts = asset("echarts.min.js")

// EChartsEmbedded reports whether this build inlines ECharts into its HTML
// reports. When it does not, reports load ECharts from a CDN and need the
// network to draw their charts; callers should warn.
func EChartsEmbedded() bool { return echarts != "" }

// EChartsNotice is the warning to print when EChartsEmbedded is false.
const EChartsNotice = "this tangle was built without the embedded ECharts library (run `make build`), so the HTML report loads its charts from " + echartsCDN + " and needs network access to draw them"

// echartsVersion is the embedded library's version, or the pinned one.
func echartsVersion() string {
	if v := strings.TrimSpace(asset("echarts-version.txt")); v != "" {
		return v
	}
	return echartsPinned
}

// notice is one third-party notice shipped in every report.
type notice struct {
	Title, Text string
}

// thirdPartyNotices are the NOTICE and license texts of the inlined
// library, as Apache-2.0 §4 and BSD-3-Clause ask of redistributions.
func thirdPartyNotices() []notice {
	var out []notice
	for _, n := range []notice{
		{"Apache ECharts — NOTICE", "NOTICE-echarts.txt"},
		{"Apache ECharts — Apache License 2.0", "LICENSE-echarts.txt"},
		{"zrender (bundled in ECharts) — BSD 3-Clause", "LICENSE-zrender.txt"},
		{"d3 (code adapted in ECharts) — BSD 3-Clause", "LICENSE-d3.txt"},
	} {
		if text := asset(n.Text); text != "" {
			out = append(out, notice{n.Title, text})
		}
	}
	return out
}
