# Aero — the user's entry points. `make help` lists the targets.
#
# Variables (set on the command line, e.g. `make test TAMAGO=...`):
#   GO       host Go, for host tools and tests, and to bootstrap the toolchain
#   TAMAGO   an existing GOOS=tamago `go` (e.g. official tamago-go's bin/go);
#            empty: build Aero's own from toolchain/patches (see toolchain/README.md)

GO ?= go
TAMAGO ?=

# Debian packages that `make deps` installs when missing: QEMU to boot kernels,
# GRUB and friends for `grub-mkrescue` ISO images, tmux for the test that
# drives `make run` in a real terminal. Empty it to skip the step.
DEBS ?= qemu-system-x86 grub-pc-bin grub-common xorriso mtools tmux

# go test flags: a kernel test boots QEMU under TCG, which is slow; -count=1
# because a boot test depends on more than go test can see (QEMU, the host).
TEST_TIMEOUT ?= 60m
TESTFLAGS ?= -count=1

BUILD := build

# The kernel config `make`, `make run` and `make iso` build (see configs/).
CONFIG ?= configs/defconfig
# What `make run` boots: q35, 4 CPUs, 2 NUMA nodes, 2 GiB, KVM if it works
# (else TCG), serial console on the terminal. Add QEMU flags, e.g.
# RUNFLAGS='-gdb' or RUNFLAGS='-smp 8 -numa 4 -m 4G'.
RUNFLAGS ?=
# configs/httpd serves HTTP: `make run CONFIG=configs/httpd` gives it a
# virtio NIC on user networking and forwards 127.0.0.1:HOSTPORT to its port 80.
HOSTPORT ?= 8080
NETFLAGS = $(if $(filter configs/httpd,$(CONFIG)),-net virtio -hostfwd tcp:127.0.0.1:$(HOSTPORT)-:80)
IMAGE = $(GO) run ./image/cmd/aero-image

# Prints the absolute path of the GOOS=tamago `go` (building it when needed;
# progress goes to stderr). Reusing a built toolchain takes milliseconds.
TOOLCHAIN_GO = GO='$(GO)' TAMAGO='$(TAMAGO)' toolchain/build.sh

# The modules of the tree, as go.work lists them.
MODULES = $(shell $(GO) work edit -json go.work | sed -n 's/.*"DiskPath": "\(.*\)".*/\1/p')

SHELL := bash
.SHELLFLAGS := -euo pipefail -c
.DEFAULT_GOAL := image
.PHONY: help image run iso toolchain deps test soak clean

help: ## list the targets
	@echo 'Aero make targets:'
	@sed -n 's/^\([a-z][a-z-]*\):.*## \(.*\)/  \1\t\2/p' $(MAKEFILE_LIST) | expand -t 14
	@echo 'Variables: GO=$(GO) TAMAGO=$(TAMAGO) TEST_TIMEOUT=$(TEST_TIMEOUT) TESTFLAGS=$(TESTFLAGS)'

image: ## build the kernel of CONFIG (default configs/defconfig): build/<name>.elf
	@$(IMAGE) build -config $(CONFIG) -o $(BUILD) -go "$$($(TOOLCHAIN_GO))"

iso: deps ## build the kernel and a GRUB multiboot2 ISO: build/<name>.iso
	@$(IMAGE) iso -config $(CONFIG) -o $(BUILD) -go "$$($(TOOLCHAIN_GO))"

run: deps ## build the kernel and boot it into the shell (q35, 4 CPUs, 2 NUMA nodes; Ctrl-A x quits)
	@elf=$$($(IMAGE) build -config $(CONFIG) -o $(BUILD) -go "$$($(TOOLCHAIN_GO))" | sed -n 's/ (.*//p'); \
	echo "== booting $$elf (Ctrl-A x quits QEMU)"; \
	if [ -n "$(NETFLAGS)" ]; then echo "== http://127.0.0.1:$(HOSTPORT)/ on the host is the kernel's port 80 (HOSTPORT=$(HOSTPORT))"; fi; \
	$(GO) run ./qemu/cmd/aero-qemu -machine q35 -smp 4 -numa 2 -m 2G -accel auto -kernel "$$elf" $(NETFLAGS) $(RUNFLAGS)

toolchain: ## build (or reuse) the GOOS=tamago toolchain; print its go binary
	@$(TOOLCHAIN_GO)

# Installs only what is missing; `apt-get update` runs once, and only then.
deps: ## install the Debian packages Aero needs (QEMU, GRUB, xorriso, mtools)
	@missing=(); \
	if [[ -z "$(strip $(DEBS))" ]]; then exit 0; fi; \
	if ! command -v dpkg-query >/dev/null; then \
		echo "deps: not a Debian system; install these yourself: $(DEBS)"; exit 0; \
	fi; \
	for p in $(DEBS); do \
		status=$$(dpkg-query -W -f='$${Status}' "$$p" 2>/dev/null || true); \
		[[ $$status == *" installed" ]] || missing+=("$$p"); \
	done; \
	if (( $${#missing[@]} == 0 )); then echo "deps: all present ($(DEBS))"; exit 0; fi; \
	echo "deps: installing $${missing[*]}"; \
	if [[ $$(id -u) == 0 ]]; then sudo=(); \
	elif command -v sudo >/dev/null; then sudo=(sudo); \
	else echo "deps: not root and no sudo: install $${missing[*]} as root" >&2; exit 1; fi; \
	export DEBIAN_FRONTEND=noninteractive; \
	"$${sudo[@]}" apt-get -o DPkg::Lock::Timeout=300 update -q; \
	"$${sudo[@]}" apt-get -o DPkg::Lock::Timeout=300 install -y -q --no-install-recommends "$${missing[@]}"

# Every module in go.work is vetted and tested with the host Go; tests that
# build kernels find the GOOS=tamago toolchain in AERO_GO. A failing module
# does not stop the others: the failures are named at the end.
test: deps toolchain ## vet and test every module (kernel tests get AERO_GO)
	@aero_go=$$($(TOOLCHAIN_GO)); \
	echo "== toolchain: $$aero_go ($$("$$aero_go" version))"; \
	modules="$(MODULES)"; \
	[[ -n $$modules ]] || { echo "test: no modules found in go.work" >&2; exit 1; }; \
	failed=(); \
	for m in $$modules; do \
		echo "== $$m: go vet"; \
		(cd "$$m" && $(GO) vet ./...) && \
		echo "== $$m: go vet (GOOS=tamago; unsafeptr off: kernel code turns physical addresses into pointers)" && \
		(cd "$$m" && GOOS=tamago GOARCH=amd64 GOOSPKG=github.com/usbarmory/tamago CGO_ENABLED=0 \
			"$$aero_go" vet -unsafeptr=false -tags linkcpuinit ./...) && \
		echo "== $$m: go test (AERO_GO=$$aero_go)" && \
		(cd "$$m" && AERO_GO="$$aero_go" $(GO) test -timeout $(TEST_TIMEOUT) $(TESTFLAGS) ./...) || \
		{ echo "== $$m: FAILED"; failed+=("$$m"); }; \
	done; \
	if (( $${#failed[@]} )); then echo "test: failed in $${failed[*]}" >&2; exit 1; fi; \
	echo "test: every module passed"

# Boots per CPU count of `make soak` (at -smp 2, then as many at -smp 4).
SOAK ?= 100

# Not part of `make test`: about 15 s a boot under TCG, so the default
# 100+100 boots take most of an hour. Local directory mode (no package
# argument) so the closing note is printed even when every boot passes.
soak: deps toolchain ## boot the toolchain smoke kernel SOAK times at -smp 2 and at -smp 4; print failures and per-check times
	@aero_go=$$($(TOOLCHAIN_GO)); \
	cd toolchain && AERO_GO="$$aero_go" AERO_SOAK=$(SOAK) $(GO) test -count=1 -timeout 0 -run '^TestSoak$$'

clean: ## remove build outputs (build/); the toolchain cache stays
	rm -rf $(BUILD)
