package org.vfio4j.sim;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.vfio4j.IovaRange;
import org.vfio4j.KernelProfile;
import org.vfio4j.PciAddress;
import org.vfio4j.VfioBackend;

/**
 * The immutable description of a simulated machine: its IOMMU groups and PCI functions, what the
 * IOMMU offers, the process's limits and privileges, and which kernel's behaviour to reproduce.
 * {@link #boot()} starts a fresh {@link SimulatedKernel} for it; hosts are values and can boot any
 * number of independent kernels, each with its own device state (device models come from the
 * factories of {@link HostDevice#of(String, java.util.function.Supplier)}).
 *
 * <p>Start from a preset ({@link #x86Type1()}, {@link #noIommu()}, {@link #powernv()}) and adjust it with {@link
 * #toBuilder()}, or build one from scratch with {@link #builder()}.
 *
 * <p>About 600 lines because it is a configuration object: two presets and some 25 builder settings,
 * each documenting its default and the behaviour it implies, as Jimfs's {@code Configuration} does.
 */
public final class SimulatedHost implements VfioBackend {

    /** x86 4 KiB page: the smallest unit of pinning and locked-memory accounting. */
    public static final long PAGE_SIZE = 4096;

    /** The kernel's default {@code vfio_iommu_type1.dma_entry_limit} (U16_MAX). */
    public static final int DEFAULT_DMA_ENTRY_LIMIT = 65535;

    /**
     * The entries a kernel's trace keeps by default: the last 10 000 calls and events (a few MiB),
     * enough to read back the story of a failing test, bounded for soaks.
     */
    public static final int DEFAULT_TRACE_CAPACITY = 10_000;

    /**
     * The default {@link #deviceLatency()}: 1 ms, long enough that a driver which reads a result
     * right after starting the work sees the device busy, short enough that tests stay fast.
     */
    public static final Duration DEFAULT_DEVICE_LATENCY = Duration.ofMillis(1);

    private final String name;
    private final KernelProfile profile;
    private final List<HostGroup> groups;
    private final boolean noIommu;
    private final long iovaPageSizes;
    private final List<IovaRange> iovaRanges;
    private final int dmaEntryLimit;
    private final long memlockLimit;
    private final boolean capIpcLock;
    private final boolean capSysRawio;
    private final boolean interruptRemapping;
    private final boolean nestingSupported;
    private final boolean enforceCacheCoherency;
    private final int irqVectorLimit;
    private final int traceCapacity;
    private final Duration deviceLatency;
    private final List<Fault> faults;
    private final PowerPlatform power;

    private SimulatedHost(Builder b) {
        this.name = b.name;
        this.profile = b.profile;
        this.groups = List.copyOf(b.groups);
        this.noIommu = b.noIommu;
        this.iovaPageSizes = b.iovaPageSizes;
        this.iovaRanges = List.copyOf(b.iovaRanges);
        this.dmaEntryLimit = b.dmaEntryLimit;
        this.memlockLimit = b.memlockLimit;
        this.capIpcLock = b.capIpcLock;
        this.capSysRawio = b.capSysRawio;
        this.interruptRemapping = b.interruptRemapping;
        this.nestingSupported = b.nestingSupported;
        this.enforceCacheCoherency = b.enforceCacheCoherency;
        this.irqVectorLimit = b.irqVectorLimit;
        this.traceCapacity = b.traceCapacity;
        this.deviceLatency = b.deviceLatency;
        this.faults = List.copyOf(b.faults);
        this.power = b.power;
    }

    /**
     * An x86 machine with an Intel-style IOMMU, type1/type1v2, and two groups:
     * <ul>
     * <li>group 7: {@code 0000:01:00.0}, a QEMU-edu-like device (1234:11e8, class 00ff00) bound to
     *     vfio-pci: viable;</li>
     * <li>group 8: {@code 0000:02:00.0} (8086:10d3, Ethernet) bound to vfio-pci and its sibling
     *     {@code 0000:02:00.1} still bound to {@code e1000e}: not viable.</li>
     * </ul>
     * IOVA page sizes: 4 KiB, 2 MiB and 1 GiB (what 6.1's intel-iommu reports); IOVA ranges: a 48-bit aperture minus the MSI
     * window {@code [0xfee00000, 0xfeefffff]}; {@code dma_entry_limit} 65 535; RLIMIT_MEMLOCK 64 MiB
     * without CAP_IPC_LOCK (an unprivileged user given the group); interrupt remapping and cache
     * coherency enforced; no nesting; kernel profile {@link KernelProfile#LINUX_6_1}.
     */
    public static SimulatedHost x86Type1() {
        return Presets.X86_TYPE1; // immutable: one instance serves every caller
    }

    /**
     * A machine without an IOMMU, in VFIO's unsafe no-IOMMU mode ({@code
     * enable_unsafe_noiommu_mode=1}): group {@code noiommu-0} holds {@code 0000:00:04.0} (1234:11e8)
     * bound to vfio-pci; the process has CAP_SYS_RAWIO. Only VFIO_NOIOMMU_IOMMU can be set; there
     * is no DMA mapping API. Profile {@link KernelProfile#LINUX_6_1}.
     */
    public static SimulatedHost noIommu() {
        return Presets.NOIOMMU; // immutable: one instance serves every caller
    }

    /**
     * A POWER9 machine (QEMU's powernv9 with Linux 6.12) with the sPAPR TCE IOMMU and EEH, one
     * IOMMU group (PE) per PHB:
     * <ul>
     * <li>group 0: {@code 0000:01:00.0}, a QEMU-edu-like device (1234:11e8) behind PHB 0;</li>
     * <li>group 1: {@code 0001:01:00.0}, an NVMe controller's identity (1b36:0010, class 010802) behind PHB 1.</li>
     * </ul>
     * Both bound to vfio-pci. The PHB is {@link PowerPlatform#phb4()}: a 2 GiB default DMA window at
     * 0, two dynamic windows, EEH that freezes PEs as hardware does. RLIMIT_MEMLOCK 64 MiB without
     * CAP_IPC_LOCK; profile {@link KernelProfile#LINUX_6_12} (6.1 cannot bind vfio-pci on POWER).
     */
    public static SimulatedHost powernv() {
        return Presets.POWERNV; // immutable: one instance serves every caller
    }

    /** The presets, built once when first asked for (a holder, so that they see the defaults initialized). */
    private static final class Presets {
        static final SimulatedHost X86_TYPE1 = builder()
                .name("x86 type1 host")
                .group(7, HostDevice.pci("0000:01:00.0", 0x1234, 0x11e8, 0x00ff00).boundTo(HostDevice.VFIO_PCI))
                .group(8, HostDevice.pci("0000:02:00.0", 0x8086, 0x10d3, 0x020000).boundTo(HostDevice.VFIO_PCI).withReset(),
                        HostDevice.pci("0000:02:00.1", 0x8086, 0x10d3, 0x020000).boundTo("e1000e").withReset())
                .build();
        static final SimulatedHost NOIOMMU = builder()
                .name("no-IOMMU host")
                .noIommu(true)
                .capSysRawio(true)
                .group(0, HostDevice.pci("0000:00:04.0", 0x1234, 0x11e8, 0x00ff00).boundTo(HostDevice.VFIO_PCI))
                .build();
        static final SimulatedHost POWERNV = builder()
                .name("POWER9 powernv host")
                .profile(KernelProfile.LINUX_6_12)
                .power(PowerPlatform.phb4())
                .group(0, HostDevice.pci("0000:01:00.0", 0x1234, 0x11e8, 0x00ff00).boundTo(HostDevice.VFIO_PCI))
                .group(1, HostDevice.pci("0001:01:00.0", 0x1b36, 0x0010, 0x010802).boundTo(HostDevice.VFIO_PCI))
                .build();
    }

    /** A builder with the defaults of {@link #x86Type1()} but no groups. */
    public static Builder builder() {
        return new Builder();
    }

    /** A builder holding this host's settings. */
    public Builder toBuilder() {
        return new Builder(this);
    }

    @Override
    public String name() {
        return "simulated " + name;
    }

    /** Starts a fresh simulated kernel for this host. */
    @Override
    public SimulatedKernel boot() {
        return new SimulatedKernel(this);
    }

    /** Whose kernel's behaviour is reproduced. */
    public KernelProfile profile() {
        return profile;
    }

    /** The IOMMU groups, in the order given. */
    public List<HostGroup> groups() {
        return groups;
    }

    /** Whether this host has no IOMMU and uses VFIO's no-IOMMU mode. */
    public boolean isNoIommu() {
        return noIommu;
    }

    /** The IOMMU's page-size bitmap (before VFIO raises bits below {@link #PAGE_SIZE}). */
    public long iovaPageSizes() {
        return iovaPageSizes;
    }

    /** The usable IOVA ranges: the aperture minus reserved regions, sorted. */
    public List<IovaRange> iovaRanges() {
        return iovaRanges;
    }

    /** {@code vfio_iommu_type1.dma_entry_limit}: mappings per container. */
    public int dmaEntryLimit() {
        return dmaEntryLimit;
    }

    /** RLIMIT_MEMLOCK in bytes ({@code -1}: unlimited). */
    public long memlockLimit() {
        return memlockLimit;
    }

    /** Whether the process has CAP_IPC_LOCK (pinned pages are then not charged). */
    public boolean capIpcLock() {
        return capIpcLock;
    }

    /** Whether the process has CAP_SYS_RAWIO (needed for no-IOMMU groups). */
    public boolean capSysRawio() {
        return capSysRawio;
    }

    /** Whether the IOMMU remaps interrupts (type1 refuses to attach groups otherwise: EPERM). */
    public boolean interruptRemapping() {
        return interruptRemapping;
    }

    /** Whether the IOMMU supports nested translation (VFIO_TYPE1_NESTING_IOMMU). */
    public boolean nestingSupported() {
        return nestingSupported;
    }

    /** Whether the IOMMU enforces cache coherency (snoop control): the VFIO_DMA_CC_IOMMU answer once an IOMMU is set. */
    public boolean enforceCacheCoherency() {
        return enforceCacheCoherency;
    }

    /** How many MSI/MSI-X vectors the platform grants one device ({@code Integer.MAX_VALUE}: as many as asked). */
    public int irqVectorLimit() {
        return irqVectorLimit;
    }

    /**
     * The most recent trace entries each booted kernel keeps; 0 when tracing is off.
     *
     * @return the capacity set with {@link Builder#traceCapacity(int)}
     */
    public int traceCapacity() {
        return traceCapacity;
    }

    /**
     * How long slow device work takes: device models complete DMA transfers and computations this
     * long after the register write that started them ({@link
     * org.vfio4j.sim.device.DeviceContext#deviceLatency()}), reporting "busy" meanwhile.
     *
     * @return the latency, never negative
     */
    public Duration deviceLatency() {
        return deviceLatency;
    }

    /**
     * The faults armed in every kernel this host boots ({@link Builder#faults(List)}), in order.
     *
     * @return the plan, empty by default
     */
    public List<Fault> faults() {
        return faults;
    }

    /**
     * The POWER host bridge when this is a POWER host: the sPAPR TCE IOMMU (v1 and v2) and EEH
     * replace type1 ({@link Builder#power(PowerPlatform)}).
     *
     * @return the platform, empty on an x86 host
     */
    public Optional<PowerPlatform> power() {
        return Optional.ofNullable(power);
    }

    /** The group with this id. */
    public Optional<HostGroup> group(int id) {
        return groups.stream().filter(g -> g.id() == id).findFirst();
    }

    @Override
    public String toString() {
        return "SimulatedHost[" + name + ", " + profile + ", groups " + groups.stream().map(HostGroup::id).toList() + "]";
    }

    /**
     * Collects the settings of a {@link SimulatedHost}. Each setter names its default and rejects a
     * bad argument at once with {@link IllegalArgumentException}; {@link #build()} checks what only
     * the settings together can get wrong.
     */
    public static final class Builder {
        private String name = "custom host";
        private KernelProfile profile = KernelProfile.LINUX_6_1;
        private final List<HostGroup> groups = new ArrayList<>();
        private boolean noIommu;
        private long iovaPageSizes = 0x4020_1000L; // 4 KiB, 2 MiB, 1 GiB: what Linux 6.1's intel-iommu reports
        private List<IovaRange> iovaRanges = List.of(
                new IovaRange(0, 0xfedf_ffffL), new IovaRange(0xfef0_0000L, 0xffff_ffff_ffffL));
        private int dmaEntryLimit = DEFAULT_DMA_ENTRY_LIMIT;
        private long memlockLimit = 64L << 20;
        private boolean capIpcLock;
        private boolean capSysRawio;
        private boolean interruptRemapping = true;
        private boolean nestingSupported;
        private boolean enforceCacheCoherency = true;
        private int irqVectorLimit = Integer.MAX_VALUE;
        private int traceCapacity = DEFAULT_TRACE_CAPACITY;
        private Duration deviceLatency = DEFAULT_DEVICE_LATENCY;
        private List<Fault> faults = List.of();
        private PowerPlatform power;

        private Builder() {}

        private Builder(SimulatedHost h) {
            name = h.name;
            profile = h.profile;
            groups.addAll(h.groups);
            noIommu = h.noIommu;
            iovaPageSizes = h.iovaPageSizes;
            iovaRanges = h.iovaRanges;
            dmaEntryLimit = h.dmaEntryLimit;
            memlockLimit = h.memlockLimit;
            capIpcLock = h.capIpcLock;
            capSysRawio = h.capSysRawio;
            interruptRemapping = h.interruptRemapping;
            nestingSupported = h.nestingSupported;
            enforceCacheCoherency = h.enforceCacheCoherency;
            irqVectorLimit = h.irqVectorLimit;
            traceCapacity = h.traceCapacity;
            deviceLatency = h.deviceLatency;
            faults = h.faults;
            power = h.power;
        }

        /**
         * A name for the host, the start of {@link SimulatedHost#toString()} (default {@code "custom
         * host"}).
         *
         * @param name the name, not blank
         * @return this builder
         * @throws IllegalArgumentException if {@code name} is null or blank
         */
        public Builder name(String name) {
            if (given(name, "name").isBlank()) {
                throw new IllegalArgumentException("a host's name must not be blank: '" + name + "'");
            }
            this.name = name;
            return this;
        }

        /**
         * Whose kernel's behaviour the simulator reproduces where versions differ (default {@link
         * KernelProfile#LINUX_6_1}).
         *
         * @param profile the kernel
         * @return this builder
         * @throws IllegalArgumentException if {@code profile} is null
         */
        public Builder profile(KernelProfile profile) {
            this.profile = given(profile, "profile");
            return this;
        }

        /**
         * Adds IOMMU group {@code id} with these functions ({@link SimulatedHost#builder()} starts
         * with none).
         *
         * @param id      the group number, {@code >= 0}, not yet used on this host
         * @param devices the functions, at least one; none already in a group of this host
         * @return this builder
         * @throws IllegalArgumentException if {@code id} is negative or taken, or {@code devices} is
         *         null, empty, holds null, or names an address twice or one another group has
         */
        public Builder group(int id, HostDevice... devices) {
            for (HostDevice d : given(devices, "devices")) {
                given(d, "a device of group " + id);
            }
            HostGroup added = new HostGroup(id, List.of(devices));
            Set<PciAddress> addresses = new HashSet<>();
            for (HostGroup g : groups) {
                if (g.id() == id) {
                    throw new IllegalArgumentException("IOMMU group " + id + " is defined twice");
                }
                g.devices().forEach(d -> addresses.add(d.address()));
            }
            for (HostDevice d : added.devices()) {
                if (!addresses.add(d.address())) {
                    throw new IllegalArgumentException("device " + d.address() + " is in two IOMMU groups");
                }
            }
            groups.add(added);
            return this;
        }

        /** Removes every group. */
        public Builder clearGroups() {
            groups.clear();
            return this;
        }

        /**
         * Whether the host has no IOMMU and runs VFIO's unsafe no-IOMMU mode: group nodes are
         * {@code /dev/vfio/noiommu-<id>}, only VFIO_NOIOMMU_IOMMU can be set, there is no DMA
         * mapping API, and opening a group needs {@link #capSysRawio(boolean) CAP_SYS_RAWIO}.
         * Default false.
         */
        public Builder noIommu(boolean noIommu) {
            this.noIommu = noIommu;
            return this;
        }

        /**
         * The IOMMU page-size bitmap, one bit per size (default {@code 0x40201000}: 4 KiB, 2 MiB
         * and 1 GiB, what Linux 6.1's and 6.12's intel-iommu report; 5.10's reports {@code ~0xfff},
         * every power of two from 4 KiB, verified in the lane). Bits below 4 KiB count as 4 KiB, as
         * {@code vfio_update_pgsize_bitmap} raises them.
         *
         * @param bitmap the sizes, at least one
         * @return this builder
         * @throws IllegalArgumentException if {@code bitmap} is 0 (no page size)
         */
        public Builder iovaPageSizes(long bitmap) {
            if (bitmap == 0) {
                throw new IllegalArgumentException("iovaPageSizes has no page size: 0x0");
            }
            this.iovaPageSizes = bitmap;
            return this;
        }

        /**
         * The usable IOVA ranges, the aperture minus reserved regions (default {@code [0,
         * 0xfedfffff]} and {@code [0xfef00000, 2^48-1]}: a 48-bit IOMMU minus the x86 MSI window).
         *
         * @param ranges the ranges in ascending order, disjoint; may be empty
         * @return this builder
         * @throws IllegalArgumentException if {@code ranges} is null, holds null, or two ranges
         *         overlap or are out of order
         */
        public Builder iovaRanges(List<IovaRange> ranges) {
            for (IovaRange r : given(ranges, "iovaRanges")) {
                given(r, "an IOVA range");
            }
            for (int i = 1; i < ranges.size(); i++) {
                if (Long.compareUnsigned(ranges.get(i - 1).end(), ranges.get(i).start()) >= 0) {
                    throw new IllegalArgumentException("iovaRanges must be sorted and disjoint: " + ranges);
                }
            }
            this.iovaRanges = List.copyOf(ranges);
            return this;
        }

        /**
         * {@code vfio_iommu_type1.dma_entry_limit}: how many DMA mappings one container may hold
         * (default {@link #DEFAULT_DMA_ENTRY_LIMIT}); the next MAP_DMA fails with ENOSPC, and
         * GET_INFO's DMA_AVAIL capability counts down from it.
         *
         * @param limit the mappings, {@code >= 0}
         * @return this builder
         * @throws IllegalArgumentException if {@code limit} is negative
         */
        public Builder dmaEntryLimit(int limit) {
            if (limit < 0) {
                throw new IllegalArgumentException("dmaEntryLimit must be >= 0: " + limit);
            }
            this.dmaEntryLimit = limit;
            return this;
        }

        /**
         * An IOMMU that translates only {@code bits} bits of IOVA (39 on many VT-d parts and under
         * QEMU's intel-iommu, 48 in the {@link SimulatedHost#x86Type1() preset}): the usable IOVA
         * ranges become {@code [0, 2^bits - 1]} minus the x86 MSI window {@code [0xfee00000,
         * 0xfeefffff]}, as the preset keeps it. A MAP_DMA reaching above is EINVAL ({@code
         * vfio_iommu_iova_dma_valid}), and GET_INFO's IOVA_RANGE capability reports the ranges.
         * Replaces the {@link #iovaRanges(List) ranges} set before (by default 48 bits).
         *
         * @param bits the address width, 12 to 64
         * @return this builder
         * @throws IllegalArgumentException if {@code bits} is outside 12 to 64
         */
        public Builder iommuAddressWidth(int bits) {
            if (bits < 12 || bits > 64) {
                throw new IllegalArgumentException("an IOMMU address width is 12 to 64 bits: " + bits);
            }
            long top = bits == 64 ? -1L : (1L << bits) - 1;
            long holeStart = 0xfee0_0000L;
            long holeEnd = 0xfeef_ffffL;
            List<IovaRange> ranges = new ArrayList<>();
            if (Long.compareUnsigned(top, holeStart) < 0) {
                ranges.add(new IovaRange(0, top));
            } else {
                ranges.add(new IovaRange(0, holeStart - 1));
                if (Long.compareUnsigned(top, holeEnd) > 0) {
                    ranges.add(new IovaRange(holeEnd + 1, top));
                }
            }
            this.iovaRanges = List.copyOf(ranges);
            return this;
        }

        /**
         * Faults armed in every kernel this host boots, counting from boot (see {@link Fault});
         * events due {@linkplain Fault.Trigger#NOW now} happen at boot. Replaces any plan given
         * before. Lets a property build the host from a generated {@code List<Fault>}. Default: no
         * faults. A fault that names a device must name one of this host's vfio-pci functions,
         * which {@link #build()} checks once the groups are known.
         *
         * @param plan the faults, in the order they take precedence when two hit the same call
         * @return this builder
         * @throws IllegalArgumentException if {@code plan} is null or holds null
         */
        public Builder faults(List<Fault> plan) {
            for (Fault f : given(plan, "the fault plan")) {
                given(f, "a fault of the plan");
            }
            this.faults = List.copyOf(plan);
            return this;
        }

        /**
         * {@link #faults(List)} for a fixed plan.
         *
         * @param plan the faults
         * @return this builder
         * @throws IllegalArgumentException if {@code plan} is null or holds null
         */
        public Builder faults(Fault... plan) {
            return faults(Arrays.asList(given(plan, "the fault plan")));
        }

        /**
         * RLIMIT_MEMLOCK in bytes, which pinned DMA pages are charged to (default 64 MiB).
         *
         * @param bytes the limit, {@code >= 0}, or {@code -1} for unlimited
         * @return this builder
         * @throws IllegalArgumentException if {@code bytes} is below -1
         */
        public Builder memlockLimit(long bytes) {
            if (bytes < -1) {
                throw new IllegalArgumentException("memlockLimit must be >= 0, or -1 for unlimited: " + bytes);
            }
            this.memlockLimit = bytes;
            return this;
        }

        /** Whether the process has CAP_IPC_LOCK: pinned DMA pages are then not charged to RLIMIT_MEMLOCK. Default false. */
        public Builder capIpcLock(boolean cap) {
            this.capIpcLock = cap;
            return this;
        }

        /** Whether the process has CAP_SYS_RAWIO, which opening and using no-IOMMU groups requires (EPERM otherwise). Default false. */
        public Builder capSysRawio(boolean cap) {
            this.capSysRawio = cap;
            return this;
        }

        /**
         * Whether the IOMMU remaps interrupts; without it type1 refuses to attach a group (EPERM), as
         * the kernel does while {@code allow_unsafe_interrupts} is off. Default true.
         */
        public Builder interruptRemapping(boolean present) {
            this.interruptRemapping = present;
            return this;
        }

        /** Whether the IOMMU supports nested translation, which VFIO_TYPE1_NESTING_IOMMU needs. Default false. */
        public Builder nestingSupported(boolean supported) {
            this.nestingSupported = supported;
            return this;
        }

        /**
         * The MSI/MSI-X vectors the platform can allocate for one device; a SET_IRQS enabling more
         * gets this positive number back and enables nothing ({@code vfio_msi_enable}). Default
         * {@code Integer.MAX_VALUE}: as many as asked.
         *
         * @param vectors the limit, {@code >= 1}
         * @return this builder
         * @throws IllegalArgumentException if {@code vectors} is below 1
         */
        public Builder irqVectorLimit(int vectors) {
            if (vectors < 1) {
                throw new IllegalArgumentException("irqVectorLimit must be at least one vector: " + vectors);
            }
            this.irqVectorLimit = vectors;
            return this;
        }

        /**
         * How many of the most recent calls and events {@link SimulatedKernel#trace()} keeps
         * (default {@link #DEFAULT_TRACE_CAPACITY}); older ones are dropped and counted. 0 turns
         * the trace off.
         *
         * @param entries the capacity, {@code >= 0}
         * @return this builder
         * @throws IllegalArgumentException if {@code entries} is negative
         */
        public Builder traceCapacity(int entries) {
            if (entries < 0) {
                throw new IllegalArgumentException("traceCapacity must be >= 0: " + entries);
            }
            this.traceCapacity = entries;
            return this;
        }

        /**
         * How long slow device work takes (default {@link #DEFAULT_DEVICE_LATENCY}): a host-wide
         * setting rather than a model's, so every model on the host keeps its register behaviour and
         * a test chooses its own speed. QEMU's edu takes 100 ms for a DMA; {@link Duration#ZERO} still
         * completes the work later, on the kernel's device thread, never inside the write.
         *
         * @param latency the delay, {@code >= 0}
         * @return this builder
         * @throws IllegalArgumentException if {@code latency} is null or negative
         */
        public Builder deviceLatency(Duration latency) {
            if (given(latency, "deviceLatency").isNegative()) {
                throw new IllegalArgumentException("deviceLatency must be >= 0: " + latency);
            }
            this.deviceLatency = latency;
            return this;
        }

        /**
         * Whether the IOMMU enforces cache coherency (snoop control): the answer to
         * CHECK_EXTENSION(VFIO_DMA_CC_IOMMU) once a container has an IOMMU. Default true.
         */
        public Builder enforceCacheCoherency(boolean enforced) {
            this.enforceCacheCoherency = enforced;
            return this;
        }

        /**
         * The host.
         *
         * @return the host
         * @throws IllegalStateException if a fault names a device that is not one of the host's
         *         vfio-pci functions, or is an EEH error on a host without EEH (each setting alone
         *         was checked by its setter)
         */
        public SimulatedHost build() {
            if (power != null && noIommu) {
                throw new IllegalStateException("a POWER host has the sPAPR TCE IOMMU: it cannot also be a no-IOMMU host");
            }
            if (power != null && profile == KernelProfile.LINUX_6_1) {
                throw new IllegalStateException("Linux 6.1 cannot bind vfio-pci on POWER (its POWER IOMMU has no iommu_ops, so"
                        + " vfio_register_group_dev refuses every device): use profile LINUX_6_12 for a POWER host");
            }
            for (Fault f : faults) {
                Optional<PciAddress> device = switch (f) {
                    case Fault.DmaFault d -> Optional.of(d.device());
                    case Fault.Event e -> Optional.of(e.device());
                    case Fault.Failure x -> Optional.empty();
                };
                if (device.isPresent() && groups.stream().flatMap(g -> g.devices().stream())
                        .noneMatch(d -> d.address().equals(device.get()) && d.isVfioDevice())) {
                    throw new IllegalStateException("fault " + f + " names " + device.get() + ", which is not bound to vfio-pci on this host");
                }
                if (f instanceof Fault.EehError && (power == null || power.eeh() == PowerPlatform.Eeh.OFF)) {
                    throw new IllegalStateException("fault " + f + " needs EEH: " + FaultPlan.NO_EEH);
                }
            }
            return new SimulatedHost(this);
        }

        /**
         * Makes this a POWER host behind {@code platform}: the VFIO core then has the sPAPR TCE
         * IOMMU driver (v1 and v2, with EEH) instead of type1, each group is one PE, and
         * CHECK_EXTENSION answers SPAPR_TCE, SPAPR_TCE_v2 and EEH but not TYPE1 (default: none, an
         * x86 host). Linux 6.1 cannot bind vfio-pci on POWER, so POWER hosts need profile 6.12 or
         * the seed's 5.7.
         *
         * @param platform the PHB, or null for an x86 host
         * @return this builder
         */
        public Builder power(PowerPlatform platform) {
            this.power = platform;
            return this;
        }

        /** A null argument is a programming error: {@link IllegalArgumentException} naming it. */
        private static <T> T given(T argument, String what) {
            if (argument == null) {
                throw new IllegalArgumentException(what + " must not be null");
            }
            return argument;
        }
    }
}
