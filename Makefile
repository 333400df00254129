# tangle — build, run, test, benchmark.
GO      ?= go
BIN     := bin/tangle
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS := -X main.version=$(VERSION)

NPM     ?= npm
ASSETS  := reports/assets

.PHONY: build run test bench bench-simpy vet fmt clean assets fuzz

## build: fetch the report's ECharts asset, then compile bin/tangle
build: assets
	$(GO) build -ldflags "$(LDFLAGS)" -o $(BIN) ./cmd/tangle

## run: simulate the default built-in scenario, print its result and write its HTML report
run: build
	./$(BIN) run --out results/ --html results/report.html

## test: vet, then every test (calibration, determinism, the report in headless Chromium);
## -timeout leaves a wide margin over the suite's ~5 minutes on two cores
test: vet assets
	$(GO) test -timeout 20m ./...
	cd docs/examples/proptest && $(GO) test -timeout 10m ./...

## assets: install the pinned ECharts from npm (npm ci) and copy it into reports/assets,
## where go:embed inlines it into every HTML report (see reports/assets/README.md).
## Without npm the build still works and reports load ECharts from a CDN (an error under CI=true).
assets: $(ASSETS)/echarts.min.js

$(ASSETS)/echarts.min.js: package.json package-lock.json
	@if command -v $(NPM) >/dev/null 2>&1; then \
		set -e; \
		echo "$(NPM) ci (ECharts for the HTML report)"; \
		$(NPM) ci --no-audit --no-fund --loglevel=error; \
		cp node_modules/echarts/LICENSE $(ASSETS)/LICENSE-echarts.txt; \
		cp node_modules/echarts/NOTICE $(ASSETS)/NOTICE-echarts.txt; \
		cp node_modules/echarts/licenses/LICENSE-d3 $(ASSETS)/LICENSE-d3.txt; \
		cp node_modules/zrender/LICENSE $(ASSETS)/LICENSE-zrender.txt; \
		node -p "require('./node_modules/echarts/package.json').version" > $(ASSETS)/echarts-version.txt; \
		cp node_modules/echarts/dist/echarts.min.js $@.tmp && mv $@.tmp $@; \
	elif [ "$$CI" = true ]; then \
		echo "error: npm is required to build the HTML report's ECharts asset" >&2; exit 1; \
	else \
		echo "warning: npm not found: building without the embedded ECharts; HTML reports will load it from a CDN" >&2; \
	fi

vet:
	$(GO) vet ./...
	@unformatted=$$(gofmt -l $$(find . -name '*.go' -not -path './node_modules/*')); \
	if [ -n "$$unformatted" ]; then echo "gofmt would change:"; echo "$$unformatted"; exit 1; fi

## fuzz: explore each native fuzz target for FUZZTIME (go test alone runs only their
## seeds and the committed corpus in scenarios/testdata/fuzz); a failure is saved there.
## FUZZTIME counts executions (Nx), not seconds: with a duration, Go 1.26's fuzz
## coordinator can fail a target with a bare "context deadline exceeded" when the time
## is up while a worker is mid-call (golang/go#75804, fixed in Go 1.27); a count has no
## deadline to race. 20000x is a few seconds per target on these machines.
FUZZTIME ?= 20000x
FUZZ     := FuzzParse FuzzOverride FuzzSweepParam FuzzValues
fuzz:
	@set -e; for f in $(FUZZ); do \
		echo "fuzz $$f for $(FUZZTIME)"; \
		$(GO) test -run '^$$' -fuzz "^$$f$$" -fuzztime $(FUZZTIME) ./scenarios; \
	done; \
	echo "fuzz FuzzImport for $(FUZZTIME)"; \
	$(GO) test -run '^$$' -fuzz '^FuzzImport$$' -fuzztime $(FUZZTIME) ./scenarios/configimport; \
	echo "fuzz FuzzGRPCCodes for $(FUZZTIME)"; \
	$(GO) test -run '^$$' -fuzz '^FuzzGRPCCodes$$' -fuzztime $(FUZZTIME) ./strategies

## bench: engine and scenario benchmarks on one core (see README, Performance)
bench:
	$(GO) test -run '^$$' -bench . -benchmem -cpu 1 ./sim ./topology ./strategies ./scenarios

## bench-simpy: M/M/1 with a million customers in SimPy 3 and in tangle, and the ratio
## (skips with a message where SimPy is not installed)
bench-simpy:
	GO=$(GO) bash docs/bench/simpy-mm1.sh

fmt:
	gofmt -w $$(find . -name '*.go' -not -path './node_modules/*')

clean:
	rm -rf bin node_modules $(ASSETS)/*.js $(ASSETS)/*.txt
