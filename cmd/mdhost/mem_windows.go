//go:build windows

package main

import (
	"fmt"
	"unsafe"

	"golang.org/x/sys/windows"
)

// golang.org/x/sys/windows has no GetProcessMemoryInfo: K32GetProcessMemoryInfo (kernel32,
// Windows 7 and later, and Wine) is called directly, psapi!GetProcessMemoryInfo where it is
// missing.
var (
	procK32GetProcessMemoryInfo   = windows.NewLazySystemDLL("kernel32.dll").NewProc("K32GetProcessMemoryInfo")
	procPsapiGetProcessMemoryInfo = windows.NewLazySystemDLL("psapi.dll").NewProc("GetProcessMemoryInfo")
)

// processMemoryCounters is PROCESS_MEMORY_COUNTERS.
type processMemoryCounters struct {
	cb                         uint32
	pageFaultCount             uint32
	peakWorkingSetSize         uintptr
	workingSetSize             uintptr
	quotaPeakPagedPoolUsage    uintptr
	quotaPagedPoolUsage        uintptr
	quotaPeakNonPagedPoolUsage uintptr
	quotaNonPagedPoolUsage     uintptr
	pagefileUsage              uintptr
	peakPagefileUsage          uintptr
}

// residentBytes is the process's working set (PROCESS_MEMORY_COUNTERS.WorkingSetSize).
func residentBytes() (uint64, error) {
	proc := procK32GetProcessMemoryInfo
	if proc.Find() != nil {
		proc = procPsapiGetProcessMemoryInfo
		if err := proc.Find(); err != nil {
			return 0, err
		}
	}
	var pmc processMemoryCounters
	pmc.cb = uint32(unsafe.Sizeof(pmc))
	r, _, err := proc.Call(uintptr(windows.CurrentProcess()), uintptr(unsafe.Pointer(&pmc)), uintptr(pmc.cb))
	if r == 0 {
		return 0, fmt.Errorf("GetProcessMemoryInfo: %w", err)
	}
	return uint64(pmc.workingSetSize), nil
}
