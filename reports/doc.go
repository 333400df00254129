// Package reports renders results: the summary JSON document (a stable,
// versioned schema), the terminal table, and (with later packages) CSV
// series and the HTML report. It formats; it never simulates.
//
//	res, _ := scenarios.Run(ctx, sc, scenarios.Options{})
//	doc := reports.NewSummary(res, reports.Meta{Version: v, Rerun: cmd})
//	reports.WriteJSON(os.Stdout, doc)
//	reports.WriteTable(os.Stdout, res)
package reports
