// Package reports renders results: the summary JSON document (a stable,
// versioned schema), the terminal table, CSV series and the offline HTML
// report. It formats; it never simulates.
//
//	res, _ := scenarios.Run(ctx, sc, scenarios.Options{})
//	doc := reports.NewSummary(res, reports.Meta{Version: v, Rerun: cmd})
//	reports.WriteJSON(os.Stdout, doc)
//	reports.WriteTable(os.Stdout, res)
//	reports.WriteHTML(f, reports.NewResults(res, meta), reports.HTMLOptions{})
package reports
