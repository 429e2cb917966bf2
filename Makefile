# Cohort: `make run` trains the example job; `make test` runs the whole suite.
# Both install the Debian packages they lack first (as root, or through sudo).
# The suite is XCTest only: --disable-swift-testing keeps Swift Testing from closing the log with "0 tests".
SHELL := /bin/bash
SWIFT ?= swift
CONFIG ?= release
APT_PACKAGES = libopenblas-dev libopenmpi-dev openmpi-bin libzmq3-dev zlib1g-dev \
               dataset-fashion-mnist pkg-config iproute2 procps
JOB ?= cluster/jobs/fashion-mlp.yaml
RANKS ?= 2

.PHONY: deps build run test clean

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

# A skipped test is a failure unless it is the opt-in soak (COHORT_SOAK): every prerequisite is
# installed by `deps`, so a skip here means a test could not do its job.
test: build
	@set -o pipefail; $(SWIFT) test -c $(CONFIG) --disable-testable-imports --disable-swift-testing 2>&1 | tee .build/test.log
	@skipped=$$(grep -E "^Test Case '.*' skipped" .build/test.log | grep -v "ClusterFaultTests.testSoak'" || true); \
	if [ -n "$$skipped" ]; then echo "error: tests skipped (only the soak may be):"; echo "$$skipped"; exit 1; fi

clean:
	rm -rf .build
