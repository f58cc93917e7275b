# cardmod build and test entry points. `make check` is what CI runs
# (.ci/run): dependencies, formatting, vet, the DLLs and their export checks,
# unit tests with the race detector, a short fuzz of every fuzz target, the
# tests that need a real pcscd with the vsmartcard-vpcd reader (interop with
# yubico-piv-tool/OpenSC, the engine and libcardmod.so through PC/SC, the C
# host under valgrind), and the Windows DLL under Wine.

GO ?= go
GOFMT ?= $(shell $(GO) env GOROOT)/bin/gofmt
# How long fuzz-smoke runs each fuzz target.
FUZZTIME ?= 5s

# Steps of `make check`, after deps. All run; the summary lists each result.
CHECK_STEPS := fmt-check vet dlls test fuzz-smoke interop wine

SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c

.PHONY: check deps fmt-check vet dlls test fuzz-smoke interop wine bench build clean

check: deps
	@summary=""; status=0; \
	for step in $(CHECK_STEPS); do \
		printf '\n==> make %s\n' "$$step"; \
		start=$$SECONDS; \
		if $(MAKE) --no-print-directory "$$step"; then res=PASS; else res=FAIL; status=1; fi; \
		printf -v line '  %-11s %s  (%ss)\n' "$$step" "$$res" "$$((SECONDS - start))"; \
		summary+=$$line; \
	done; \
	printf '\n==> check summary\n%s' "$$summary"; \
	if [ "$$status" -eq 0 ]; then echo "check: PASS"; else echo "check: FAIL"; fi; \
	exit "$$status"

# Installs the Debian packages the tests need, if any is missing (needs root then).
deps:
	@bash scripts/deps.sh

fmt-check:
	@out=$$($(GOFMT) -l .); \
	if [ -n "$$out" ]; then echo "gofmt needed on:"; echo "$$out"; exit 1; fi

vet:
	$(GO) vet ./...

test:
	$(GO) test -race -count=1 ./...

# Runs every fuzz target in the module for FUZZTIME each. `go test -list`
# prints a package's matching names before its "ok <pkg>" line.
fuzz-smoke:
	@list=$$($(GO) test -list '^Fuzz' ./...) || { echo "$$list"; echo "fuzz-smoke: listing fuzz targets failed"; exit 1; }; \
	targets=$$(printf '%s\n' "$$list" | awk '/^Fuzz/ { names[n++] = $$1; next } /^ok[ \t]/ { for (i = 0; i < n; i++) print $$2, names[i] } { n = 0 }'); \
	if [ -z "$$targets" ]; then echo "fuzz-smoke: no fuzz targets"; exit 0; fi; \
	fail=0; \
	out=$$(mktemp); trap 'rm -f "$$out"' EXIT; \
	while read -r pkg name; do \
		echo "--- $$name in $$pkg for $(FUZZTIME)"; \
		for try in 1 2; do \
			if $(GO) test -run='^$$' -fuzz="^$$name\$$" -fuzztime=$(FUZZTIME) "$$pkg" </dev/null >"$$out" 2>&1; then cat "$$out"; break; fi; \
			cat "$$out"; \
			if [ "$$try" = 1 ] && grep -q 'context deadline exceeded' "$$out" && ! grep -q 'Failing input' "$$out"; then \
				echo "(the fuzzing engine hit its own deadline without a failing input: a known go test -fuzz flake; trying again)"; continue; \
			fi; \
			fail=1; echo "FAIL: $$name in $$pkg"; break; \
		done; \
	done <<<"$$targets"; \
	exit "$$fail"

# Tests against a real pcscd (started and stopped by scripts/with-pcscd.sh): the vpcd smoke test,
# the PC/SC transport, the interop tier (yubico-piv-tool, OpenSC, openssl, the engine through
# PC/SC), the flow suite through libcardmod.so and the C host (plain, valgrind, bench).
# -p 1 because the tests share vpcd's slot (port 35963).
interop: build/libcardmod.so
	bash scripts/with-pcscd.sh $(GO) test -count=1 -p 1 ./vcard/vpcd/ ./pcsc/ ./interop/... ./mdflow/... ./cabi/ctest/

# The DLLs, their exports (exactly CardAcquireContext, stdcall on x86) and version resources.
dlls: build/libcardmod.so dll-check
	$(GO) test -count=1 ./cabi/dllcheck/ ./cabi/layout/

# Windows binaries under Wine: the helper DLLs, then mdhost.exe running the flow suite through
# build/cardmod64.dll against a virtual card.
wine: build/cardmod64.dll
	CARDMOD_WINE=1 CARDMOD_WINE_REQUIRED=1 $(GO) test -count=1 ./wine/ ./cmd/mdhost/

bench:
	$(GO) test -run='^$$' -bench=. -benchmem ./...

build:
	$(GO) build ./...

clean:
	$(GO) clean ./...
	$(GO) clean -testcache

# ---- cardmod.dll and libcardmod.so (the C ABI, cabi/dll) ----
VERSION ?= 0.4.0
comma := ,
VERSION_COMMA = $(subst .,$(comma),$(VERSION)),0
DLL_PKG := ./cabi/dll
DLL_SRC := $(wildcard cabi/dll/*.go cabi/dll/*.c cabi/dll/*.h cabi/include/*.h) $(shell find engine spec piv rsapad apdu tlv pcsc -name '*.go' -not -name '*_test.go')
DLL_LDFLAGS := -s -w -extldflags=-Wl,--kill-at

.PHONY: dll dll-check
dll: build/cardmod64.dll build/cardmod32.dll build/libcardmod.so

build/libcardmod.so: $(DLL_SRC)
	@mkdir -p build
	CGO_ENABLED=1 $(GO) build -buildmode=c-shared -o $@ $(DLL_PKG)

cabi/dll/cardmod.rc: cabi/dll/cardmod.rc.in Makefile
	sed -e 's/@VERSION@/$(VERSION)/g' -e 's/@VERSION_COMMA@/$(VERSION_COMMA)/g' $< > $@

cabi/dll/rsrc_windows_amd64.syso: cabi/dll/cardmod.rc
	x86_64-w64-mingw32-windres -O coff -o $@ $<

cabi/dll/rsrc_windows_386.syso: cabi/dll/cardmod.rc
	i686-w64-mingw32-windres -O coff -o $@ $<

build/cardmod64.dll: $(DLL_SRC) cabi/dll/rsrc_windows_amd64.syso
	@mkdir -p build
	GOOS=windows GOARCH=amd64 CGO_ENABLED=1 CC=x86_64-w64-mingw32-gcc $(GO) build -buildmode=c-shared -ldflags='$(DLL_LDFLAGS)' -o $@ $(DLL_PKG)
	$(GO) run ./cabi/exportfix -keep CardAcquireContext $@
	@rm -f build/cardmod64.h

build/cardmod32.dll: $(DLL_SRC) cabi/dll/rsrc_windows_386.syso
	@mkdir -p build
	GOOS=windows GOARCH=386 CGO_ENABLED=1 CC=i686-w64-mingw32-gcc $(GO) build -buildmode=c-shared -ldflags='$(DLL_LDFLAGS)' -o $@ $(DLL_PKG)
	$(GO) run ./cabi/exportfix -keep CardAcquireContext $@
	@rm -f build/cardmod32.h

# Exports: exactly CardAcquireContext, undecorated, in both DLLs.
dll-check: build/cardmod64.dll build/cardmod32.dll
	@for f in build/cardmod64.dll build/cardmod32.dll; do \
		names=$$(x86_64-w64-mingw32-objdump -p $$f | sed -n '/\[Ordinal\/Name Pointer\] Table/,/^$$/p' | awk 'NR>1 && NF {print $$NF}'); \
		echo "$$f exports: $$names"; \
		[ "$$names" = "CardAcquireContext" ] || { echo "unexpected exports in $$f"; exit 1; }; \
	done

# ---- Windows packaging (packaging/README.md) --------------------------------
# The INF, .reg and WiX source are generated from packaging/cards.go into
# build/packaging/; the MSI is build/cardmod.msi. VERSION is the product version.
# DLLDIR (where cardmod64.dll and cardmod32.dll are), PKGDIR and MSI can be overridden.
# VERSION is also set (first) with the dll target: the DLLs carry it in their version resource.
VERSION ?= 0.4.0
# DLLDIR must be relative: wixl 0.101 cannot read an absolute File/@Source.
DLLDIR ?= build
PKGDIR ?= build/packaging
MSI ?= build/cardmod.msi
WIN_DLLS := $(DLLDIR)/cardmod64.dll $(DLLDIR)/cardmod32.dll

.PHONY: packaging msi sign packaging-test

# build/packaging/ becomes a driver package directory: the INF with the DLLs
# beside it (copied when `make dll` has built them).
packaging:
	$(GO) run ./packaging/gen -out $(PKGDIR) -version $(VERSION)
	@for f in $(WIN_DLLS); do \
		if [ -f "$$f" ]; then cp "$$f" $(PKGDIR)/; else echo "packaging: $$f not built yet (make dll)"; fi; \
	done

msi: packaging
	@for f in $(WIN_DLLS); do [ -f "$$f" ] || { echo "msi: $$f missing: run make dll first"; exit 1; }; done
	wixl -a x64 -D VERSION=$(VERSION) -D BUILDDIR=$(DLLDIR) -o $(MSI) $(PKGDIR)/cardmod.wxs
	@echo "msi: wrote $(MSI) (version $(VERSION))"

# Signs the DLLs, rebuilds the MSI around the signed DLLs, signs the MSI, verifies all three.
#   make sign SIGN_CERT=cert.pem SIGN_KEY=key.pem [SIGN_PASS=...] [TIMESTAMP_URL=...] [SIGN_CAFILE=root.pem]
#   make sign SIGN_CERT=cert.pfx SIGN_KEY=- SIGN_PASS=...
#   make sign SIGN_SELF_SIGNED=1     (throwaway test certificate in build/testcert/)
sign:
	@if [ -n "$(SIGN_SELF_SIGNED)" ]; then \
		bash packaging/sign.sh --self-signed build/testcert >/dev/null; \
		cert=build/testcert/cert.pem; key=build/testcert/key.pem; ca=build/testcert/cert.pem; \
	elif [ -n "$(SIGN_CERT)" ]; then \
		cert='$(SIGN_CERT)'; key='$(SIGN_KEY)'; ca='$(SIGN_CAFILE)'; \
	else \
		echo "sign: set SIGN_CERT and SIGN_KEY (see packaging/README.md), or SIGN_SELF_SIGNED=1"; exit 1; \
	fi; \
	for f in $(WIN_DLLS); do [ -f "$$f" ] || { echo "sign: $$f missing: run make dll first"; exit 1; }; done; \
	bash packaging/sign.sh "$$cert" "$$key" $(WIN_DLLS); \
	$(MAKE) --no-print-directory msi; \
	bash packaging/sign.sh "$$cert" "$$key" $(MSI); \
	for f in $(WIN_DLLS) $(MSI); do \
		if [ -n "$$ca" ]; then set -- -CAfile "$$ca"; else set --; fi; \
		out=$$(osslsigncode verify "$$@" -in "$$f" 2>&1) || { echo "$$out"; echo "sign: $$f does not verify"; exit 1; }; \
		echo "sign: $$f: signature verified"; \
	done

packaging-test:
	$(GO) test -count=1 -v ./packaging/

# ---- Wine test infrastructure (wine/README.md) -------------------------------
.PHONY: wine-helpers wine-test

# The helper DLLs for Wine: build/wine/{bcryptprimitives,winscard}.dll (x64)
# and build/wine/x86/ (x86, built but not runnable here).
wine-helpers:
	bash scripts/wine-env.sh --build

# Tests of Windows binaries under Wine (the prefix is created or reused by
# scripts/wine-env.sh). Missing Wine or mingw-w64 fails here instead of skipping.
wine-test:
	CARDMOD_WINE_REQUIRED=1 $(GO) test -count=1 -v ./wine/

# ---- native test tier of the C ABI (cabi/ctest) ----
# A C host (cabi/ctest/host.c) loads build/libcardmod.so, fills CARD_DATA as the Base CSP does and
# drives the function table against a virtual card served to pcscd through vpcd: plainly, under
# valgrind (cabi/ctest/go-runtime.supp) and in bench mode. See cabi/ctest/README.md.
.PHONY: ctest
ctest: build/libcardmod.so
	bash scripts/with-pcscd.sh $(GO) test -count=1 -v ./cabi/ctest/
