package acpi

import "encoding/binary"

// FADT is the Fixed ACPI Description Table, signature "FACP" (ACPI 6.5
// §5.2.9). Its length grew with each ACPI version: 116 bytes in ACPI 1.0
// (what QEMU's "pc" machine still builds), 244 in 2.0-4.0, 268 in 5.0, 276
// in 6.0 and later. Fields past the table's length read as zero.
//
// Offsets of the fields decoded here:
//
//	36 u32 FIRMWARE_CTRL (FACS)     89 u8  PM1_CNT_LEN      116 GAS RESET_REG
//	40 u32 DSDT                     90 u8  PM2_CNT_LEN      128 u8  RESET_VALUE
//	45 u8  Preferred_PM_Profile     91 u8  PM_TMR_LEN       129 u16 ARM_BOOT_ARCH
//	46 u16 SCI_INT                  92 u8  GPE0_BLK_LEN     131 u8  FADT Minor Version
//	48 u32 SMI_CMD                  93 u8  GPE1_BLK_LEN     132 u64 X_FIRMWARE_CTRL
//	52 u8  ACPI_ENABLE              94 u8  GPE1_BASE        140 u64 X_DSDT
//	53 u8  ACPI_DISABLE            106 u8  DAY_ALRM         148 GAS X_PM1a_EVT_BLK
//	56 u32 PM1a_EVT_BLK            107 u8  MON_ALRM         160 GAS X_PM1b_EVT_BLK
//	60 u32 PM1b_EVT_BLK            108 u8  CENTURY          172 GAS X_PM1a_CNT_BLK
//	64 u32 PM1a_CNT_BLK            109 u16 IAPC_BOOT_ARCH   184 GAS X_PM1b_CNT_BLK
//	68 u32 PM1b_CNT_BLK            112 u32 Flags            196 GAS X_PM2_CNT_BLK
//	72 u32 PM2_CNT_BLK                                      208 GAS X_PM_TMR_BLK
//	76 u32 PM_TMR_BLK                                       220 GAS X_GPE0_BLK
//	80 u32 GPE0_BLK                                         232 GAS X_GPE1_BLK
//	84 u32 GPE1_BLK                                         244 GAS SLEEP_CONTROL_REG
//	88 u8  PM1_EVT_LEN                                      256 GAS SLEEP_STATUS_REG
//	                                                        268 u64 Hypervisor Vendor Identity
//
// The register blocks (PM1a/b event and control, PM2 control, PM timer,
// GPE0/1) are resolved as ACPI says: the 64-bit X_ GAS when it is present
// and non-zero, else the 32-bit I/O port field as a system I/O GAS whose
// width is the *_LEN field in bits. Likewise FACS and DSDT addresses.
type FADT struct {
	Header Header

	FACS uint64 // X_FIRMWARE_CTRL if non-zero, else FIRMWARE_CTRL
	DSDT uint64 // X_DSDT if non-zero, else DSDT

	PreferredPMProfile uint8
	SCIInterrupt       uint16 // the SCI's 8259 IRQ (or GSI on APIC systems)
	SMICommand         uint32 // I/O port; 0 on HW-reduced or SMM-less machines
	ACPIEnable         uint8  // written to SMICommand to enter ACPI mode
	ACPIDisable        uint8

	PM1aEvent   GAS
	PM1bEvent   GAS
	PM1aControl GAS
	PM1bControl GAS
	PM2Control  GAS
	PMTimer     GAS
	GPE0        GAS
	GPE1        GAS
	// GPE0Length and GPE1Length are the GPE blocks' lengths in bytes
	// (GPE0_BLK_LEN, GPE1_BLK_LEN). They may exceed what a GAS's 8-bit
	// BitWidth can say: GPE0.BitWidth and GPE1.BitWidth derived from them
	// are 0 when 8*length does not fit.
	GPE0Length uint8
	GPE1Length uint8
	GPE1Base   uint8

	DayAlarm   uint8 // RTC CMOS index of the day-of-month alarm, 0 if none
	MonthAlarm uint8
	Century    uint8 // RTC CMOS index of the century, 0 if none

	BootArch     uint16 // IAPC_BOOT_ARCH (BootArch* flags)
	Flags        uint32 // FADT* flags
	ResetReg     GAS
	ResetValue   uint8
	MinorVersion uint8

	SleepControl     GAS
	SleepStatus      GAS
	HypervisorVendor uint64
}

// Fixed feature flags (ACPI 6.5 §5.2.9, Table "Fixed ACPI Description Table
// Fixed Feature Flags").
const (
	FADTWBINVD                = 1 << 0
	FADTWBINVDFlush           = 1 << 1
	FADTProcC1                = 1 << 2
	FADTPLvl2MP               = 1 << 3
	FADTPowerButton           = 1 << 4 // set: power button is a control method device, not fixed
	FADTSleepButton           = 1 << 5
	FADTFixedRTC              = 1 << 6 // set: RTC wake status is not in fixed registers
	FADTRTCS4                 = 1 << 7
	FADTTimerValExt           = 1 << 8 // set: the PM timer counts 32 bits, else 24
	FADTDockCap               = 1 << 9
	FADTResetRegSup           = 1 << 10
	FADTSealedCase            = 1 << 11
	FADTHeadless              = 1 << 12
	FADTCPUSWSleep            = 1 << 13
	FADTPCIExpWake            = 1 << 14
	FADTUsePlatformClock      = 1 << 15
	FADTS4RTCStatusValid      = 1 << 16
	FADTRemotePowerOnCapable  = 1 << 17
	FADTForceAPICClusterModel = 1 << 18
	FADTForceAPICPhysDest     = 1 << 19
	FADTHWReducedACPI         = 1 << 20
	FADTLowPowerS0Idle        = 1 << 21
)

// IA-PC boot architecture flags, IAPC_BOOT_ARCH (ACPI 6.5 §5.2.9.3).
const (
	BootArchLegacyDevices = 1 << 0
	BootArch8042          = 1 << 1
	BootArchNoVGA         = 1 << 2
	BootArchNoMSI         = 1 << 3
	BootArchNoPCIeASPM    = 1 << 4
	BootArchNoCMOSRTC     = 1 << 5
)

// HardwareReduced reports HW_REDUCED_ACPI: no fixed hardware (PM timer,
// PM1 blocks, SCI as known from PCs) is present.
func (f *FADT) HardwareReduced() bool { return f.Flags&FADTHWReducedACPI != 0 }

// PMTimer32 reports whether the PM timer is 32 bits wide (TMR_VAL_EXT),
// else 24.
func (f *FADT) PMTimer32() bool { return f.Flags&FADTTimerValExt != 0 }

// ResetSupported reports whether ResetReg and ResetValue may be used to
// reset the machine (RESET_REG_SUP, and a non-empty register).
func (f *FADT) ResetSupported() bool { return f.Flags&FADTResetRegSup != 0 && !f.ResetReg.IsZero() }

// PMTimerPresent reports whether there is a PM timer to read: not a
// HW-reduced machine, and a non-zero register address.
func (f *FADT) PMTimerPresent() bool { return !f.HardwareReduced() && f.PMTimer.Address != 0 }

// fadtV1Size is the length of an ACPI 1.0 FADT, the shortest accepted.
const fadtV1Size = 116

// ParseFADT validates and decodes a FADT of any length from 116 bytes on.
func ParseFADT(b []byte) (*FADT, error) {
	h, b, err := ParseHeader(b, "FACP")
	if err != nil {
		return nil, err
	}
	if len(b) < fadtV1Size {
		return nil, errorf("FADT", ErrLength, "length %d is shorter than the %d bytes of an ACPI 1.0 FADT", len(b), fadtV1Size)
	}
	// has reports whether the n-byte field at off lies within the table.
	has := func(off, n int) bool { return off+n <= len(b) }
	u8 := func(off int) uint8 {
		if !has(off, 1) {
			return 0
		}
		return b[off]
	}
	u16 := func(off int) uint16 {
		if !has(off, 2) {
			return 0
		}
		return binary.LittleEndian.Uint16(b[off:])
	}
	u32 := func(off int) uint32 {
		if !has(off, 4) {
			return 0
		}
		return binary.LittleEndian.Uint32(b[off:])
	}
	u64 := func(off int) uint64 {
		if !has(off, 8) {
			return 0
		}
		return binary.LittleEndian.Uint64(b[off:])
	}
	gas := func(off int) GAS {
		if !has(off, gasSize) {
			return GAS{}
		}
		return decodeGAS(b[off:])
	}
	// block resolves a register block: the X_ GAS at xoff if present and
	// non-zero, else the legacy I/O port at off with a length in bytes at
	// lenOff.
	block := func(off, lenOff, xoff int) GAS {
		if g := gas(xoff); g.Address != 0 {
			return g
		}
		port := u32(off)
		if port == 0 {
			return GAS{}
		}
		width := 8 * int(u8(lenOff))
		if width > 0xff {
			width = 0
		}
		return GAS{Space: SpaceSystemIO, BitWidth: uint8(width), Address: uint64(port)}
	}
	either := func(x uint64, legacy uint32) uint64 {
		if x != 0 {
			return x
		}
		return uint64(legacy)
	}
	f := &FADT{
		Header:             h,
		FACS:               either(u64(132), u32(36)),
		DSDT:               either(u64(140), u32(40)),
		PreferredPMProfile: u8(45),
		SCIInterrupt:       u16(46),
		SMICommand:         u32(48),
		ACPIEnable:         u8(52),
		ACPIDisable:        u8(53),
		PM1aEvent:          block(56, 88, 148),
		PM1bEvent:          block(60, 88, 160),
		PM1aControl:        block(64, 89, 172),
		PM1bControl:        block(68, 89, 184),
		PM2Control:         block(72, 90, 196),
		PMTimer:            block(76, 91, 208),
		GPE0:               block(80, 92, 220),
		GPE1:               block(84, 93, 232),
		GPE0Length:         u8(92),
		GPE1Length:         u8(93),
		GPE1Base:           u8(94),
		DayAlarm:           u8(106),
		MonthAlarm:         u8(107),
		Century:            u8(108),
		BootArch:           u16(109),
		Flags:              u32(112),
		ResetReg:           gas(116),
		ResetValue:         u8(128),
		MinorVersion:       u8(131),
		SleepControl:       gas(244),
		SleepStatus:        gas(256),
		HypervisorVendor:   u64(268),
	}
	// In ACPI 1.0, byte 109 onward up to the Flags were reserved: an old
	// FADT's boot flags read as whatever is there, which must be zero.
	if h.Revision < 2 {
		f.BootArch = 0
	}
	return f, nil
}
