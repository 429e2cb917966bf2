# Cohort: `make run` trains the example job; `make test` runs the whole suite.
# Both install the Debian packages they lack first (as root, or through sudo).
# The suite is XCTest only: --disable-swift-testing keeps Swift Testing from closing the log with "0 tests".
SWIFT ?= swift
CONFIG ?= release
APT_PACKAGES = libopenblas-dev libopenmpi-dev openmpi-bin libzmq3-dev zlib1g-dev \
               dataset-fashion-mnist pkg-config iproute2 procps sqlite3
JOB ?= cluster/jobs/fashion-mlp.yaml
RANKS ?= 2

FUZZ_MESSAGES ?= 1000000

.PHONY: deps build run test fuzz clean

deps:
	@missing=""; for p in $(APT_PACKAGES); do \
	  dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q "ok installed" || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  echo "installing:$$missing"; \
	  if [ "$$(id -u)" = 0 ]; then SUDO=""; else SUDO=sudo; fi; \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq $$missing; \
	fi

build: deps
	$(SWIFT) build -c $(CONFIG)

run: build
	.build/$(CONFIG)/cohort run -n $(RANKS) $(JOB)

test: build
	$(SWIFT) test -c $(CONFIG) --disable-testable-imports --disable-swift-testing

# The coordinator fuzz test at length: prints messages, replies, crashes, stalls over 100 ms, false faults.
fuzz: build
	COHORT_FUZZ_MESSAGES=$(FUZZ_MESSAGES) $(SWIFT) test -c $(CONFIG) --disable-testable-imports --disable-swift-testing --filter CoordinatorTests.FuzzTests

clean:
	rm -rf .build
