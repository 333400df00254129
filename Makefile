# tangle — build, run, test, benchmark.
GO      ?= go
BIN     := bin/tangle
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS := -X main.version=$(VERSION)

.PHONY: build run test bench vet fmt clean

## build: compile bin/tangle
build:
	$(GO) build -ldflags "$(LDFLAGS)" -o $(BIN) ./cmd/tangle

## run: simulate the default built-in scenario and print its result
run: build
	./$(BIN) run

## test: vet, then every test (calibration and determinism included)
test: vet
	$(GO) test ./...

vet:
	$(GO) vet ./...
	@unformatted=$$(gofmt -l $$(find . -name '*.go' -not -path './node_modules/*')); \
	if [ -n "$$unformatted" ]; then echo "gofmt would change:"; echo "$$unformatted"; exit 1; fi

## bench: engine and scenario benchmarks on one core (see README, Performance)
bench:
	$(GO) test -run '^$$' -bench . -benchmem -cpu 1 ./sim ./topology ./scenarios

fmt:
	gofmt -w $$(find . -name '*.go' -not -path './node_modules/*')

clean:
	rm -rf bin
