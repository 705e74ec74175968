GO      ?= go
BIN     := bin/berth
VERSION := $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
COMMIT  := $(shell git rev-parse --short HEAD 2>/dev/null)
LDFLAGS := -s -w -X github.com/berth-dev/berth/cmd.Version=$(VERSION) -X github.com/berth-dev/berth/cmd.Commit=$(COMMIT)

.PHONY: build run test integration bench anchors lint golden clean

build:
	CGO_ENABLED=0 $(GO) build -trimpath -ldflags '$(LDFLAGS)' -o $(BIN) .

# run opens the TUI on the default store (/var/lib/berth; needs root).
run: build
	./$(BIN)

# test runs every test with the race detector; integration tests under
# test/ build and drive the real binary. CI runs exactly this.
test: lint
	$(GO) test -race -count=1 -timeout 40m ./...

integration:
	$(GO) test -race -count=1 -timeout 30m ./test/...

# bench runs the Go benchmarks and the start-latency script; the figures
# are in the README.
bench: build
	$(GO) test -run '^$$' -bench . -benchtime 3x -benchmem ./...
	bench/run.sh $(BIN) 50

# anchors runs berth side by side with docker and podman (see bench/anchors.sh).
anchors: build
	bench/anchors.sh $(BIN)

lint:
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...

golden:
	$(GO) test ./ui/... -update

clean:
	rm -rf bin
