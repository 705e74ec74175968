GO      ?= go
BIN     := bin/berth
VERSION := $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
COMMIT  := $(shell git rev-parse --short HEAD 2>/dev/null)
PREFIX  ?= /usr/local
LDFLAGS := -s -w -X github.com/berth-dev/berth/cmd.Version=$(VERSION) -X github.com/berth-dev/berth/cmd.Commit=$(COMMIT)

.PHONY: build install run test integration bench anchors lint golden clean

# build links bin/berth and lays it out in 2 MiB writes: each fills one
# large folio of the file's page cache, which the kernel maps whole at the
# first fault on it. berth's start then faults on its code and read-only
# data some 30 times instead of some 180, half a millisecond of each
# command on a VM where page faults are dear. The layout lasts while the
# binary stays in the page cache; install copies it the same way.
build:
	CGO_ENABLED=0 $(GO) build -trimpath -ldflags '$(LDFLAGS)' -o $(BIN).link .
	dd if=$(BIN).link of=$(BIN).new bs=2M status=none
	chmod 755 $(BIN).new
	mv $(BIN).new $(BIN)
	rm $(BIN).link

# install copies bin/berth to $(PREFIX)/bin as build lays it out.
install: build
	dd if=$(BIN) of=$(PREFIX)/bin/berth.new bs=2M status=none
	chmod 755 $(PREFIX)/bin/berth.new
	mv $(PREFIX)/bin/berth.new $(PREFIX)/bin/berth

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
