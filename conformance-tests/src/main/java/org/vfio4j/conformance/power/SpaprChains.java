package org.vfio4j.conformance.power;

import static org.vfio4j.uapi.VfioUapi.VFIO_EEH;
import static org.vfio4j.uapi.VfioUapi.VFIO_EEH_PE_CONFIGURE;
import static org.vfio4j.uapi.VfioUapi.VFIO_EEH_PE_DISABLE;
import static org.vfio4j.uapi.VfioUapi.VFIO_EEH_PE_ENABLE;
import static org.vfio4j.uapi.VfioUapi.VFIO_EEH_PE_GET_STATE;
import static org.vfio4j.uapi.VfioUapi.VFIO_EEH_PE_RESET_DEACTIVATE;
import static org.vfio4j.uapi.VfioUapi.VFIO_EEH_PE_RESET_HOT;
import static org.vfio4j.uapi.VfioUapi.VFIO_EEH_PE_UNFREEZE_DMA;
import static org.vfio4j.uapi.VfioUapi.VFIO_EEH_PE_UNFREEZE_IO;
import static org.vfio4j.uapi.VfioUapi.VFIO_PCI_CONFIG_REGION_INDEX;
import static org.vfio4j.uapi.VfioUapi.VFIO_SPAPR_TCE_IOMMU;
import static org.vfio4j.uapi.VfioUapi.VFIO_SPAPR_TCE_v2_IOMMU;

import java.util.List;
import java.util.Random;

/**
 * Seeded random chains of sPAPR TCE and EEH calls for the POWER lane, as probe script text. Each
 * chain opens a container and the NVMe controller's group (the edu's group now and then, its device
 * rarely: every open of edu and every EEH hot reset of its PE costs the real guest about 4.9 s), sets the
 * container, sets the sPAPR IOMMU v1 or v2 (sometimes after a wrong type), then makes 15 to 40
 * calls among GET_INFO, ENABLE/DISABLE, REGISTER/UNREGISTER_MEMORY, TCE_CREATE/REMOVE, MAP/UNMAP_DMA,
 * EEH_PE_OP, CHECK_EXTENSION and GET_STATUS, valid and invalid, and ends with {@code closeall}.
 *
 * <p>A naive model of the container ({@link ChainModel}: the IOMMU type, the two window slots, the
 * registered memory and every mapping that may be live) keeps the chains away from three bugs of
 * Linux 6.12 that must never reach the real kernel: a MAP_DMA or UNMAP_DMA that starts inside a
 * window and ends past it (its range is checked for the first page only; powernv10 oopses), an
 * UNREGISTER_MEMORY of memory that may still be mapped (it returns 0 and leaks), and a
 * REGISTER_MEMORY of size 0 (a vmalloc warning). The first is checked against every window that
 * could exist at all (either slot start with the default size or any size a create asked for), not
 * only the ones the model believes in. Expectations ({@code =>}) are added only where the model is
 * certain: answers the trial on the real kernel saw, or that follow from the driver's order of checks.
 */
public final class SpaprChains {
    private SpaprChains() {}

    /** The seed the lane uses: fixed, so that a lane run can be replayed and compared. */
    public static final long DEFAULT_SEED = 0x5ba9_7ce0_0001L;

    /** MEM's size in the scripts: every valid OFF is below it. */
    static final long MEM = PowerScriptRunner.MEM_SIZE;
    /** REGISTER_MEMORY alignment that holds on both 4 KiB and 64 KiB page kernels. */
    static final long REG_ALIGN = 0x1_0000;
    /** Where window slot 0 lands (the PHB's 32-bit window start). */
    static final long SLOT0 = 0;
    /** Where window slot 1 lands on PHB3/PHB4: 2^59. */
    static final long SLOT1 = 1L << 59;
    /** The default (32-bit) window's size: 2 GiB. */
    static final long DEFAULT_WINDOW = 0x8000_0000L;
    /** A user address far from MEM (1 TiB above it): never mapped in the probe's process. */
    static final long FAR = 1L << 40;

    /** The sPAPR TCE IOMMU, v1. */
    static final int SPAPR_V1 = VFIO_SPAPR_TCE_IOMMU;
    /** The sPAPR TCE IOMMU, v2 (preregistered memory, dynamic windows). */
    static final int SPAPR_V2 = VFIO_SPAPR_TCE_v2_IOMMU;
    /** Config space's region. */
    private static final int CONFIG = VFIO_PCI_CONFIG_REGION_INDEX;

    /**
     * The chains' script text: {@code count} chains from {@code seed}, each starting with a
     * comment naming it. The same seed and count give the same text.
     *
     * @param seed  the seed
     * @param count how many chains
     * @return the script text
     */
    public static String generate(long seed, int count) {
        Random master = new Random(seed);
        StringBuilder sb = new StringBuilder();
        sb.append("# ").append(count).append(" random sPAPR chains, seed 0x").append(Long.toHexString(seed)).append('\n');
        for (int i = 0; i < count; i++) {
            sb.append(new Chain(new Random(master.nextLong()), i).text());
        }
        return sb.toString();
    }

    /** One chain: its random source, model and text. */
    private static final class Chain {
        private final Random r;
        private final ChainModel m = new ChainModel();
        private final StringBuilder out = new StringBuilder();
        private boolean eduGroup;
        private boolean eduAttached;
        private boolean nvmeDevice;
        private boolean eduDevice;
        private boolean secondContainer;
        private boolean eehDisabled;
        private boolean resetDone;

        Chain(Random r, int index) {
            this.r = r;
            out.append("# chain ").append(index).append('\n');
            setUp();
            int calls = 15 + r.nextInt(26);
            for (int done = 0; done < calls; done++) {
                for (int attempt = 0; attempt < 20 && !step(); attempt++) {
                    // a kind that does not apply now: draw again
                }
            }
            tearDown();
        }

        String text() {
            return out.toString();
        }

        // ---- output and randomness ----

        private void emit(String command) {
            out.append(command).append('\n');
        }

        /** {@code command => expected}, or the bare command when {@code expected} is null (the model is not sure). */
        private void emit(String command, String expected) {
            out.append(command);
            if (expected != null) {
                out.append(" => ").append(expected);
            }
            out.append('\n');
        }

        private static String hex(long v) {
            return "0x" + Long.toHexString(v);
        }

        private static String when(boolean sure, String expected) {
            return sure ? expected : null;
        }

        private boolean chance(double p) {
            return r.nextDouble() < p;
        }

        private <T> T pick(List<T> items) {
            return items.get(r.nextInt(items.size()));
        }

        private long pick(long... values) {
            return values[r.nextInt(values.length)];
        }

        // ---- the chain's frame ----

        private void setUp() {
            emit("open c0", "ok");
            emit("group g0 nvme", "ok");
            if (chance(0.3)) {
                emit("status g0", "0");
            }
            if (chance(0.15)) {
                emit("setiommu c0 " + SPAPR_V2, "-EINVAL"); // no group yet
            }
            if (chance(0.1)) {
                emit("info c0 " + pick(16, 32), "-EINVAL"); // no IOMMU yet
            }
            emit("setcontainer g0 c0", "0");
            int type = chance(0.7) ? SPAPR_V2 : SPAPR_V1;
            eduGroup = chance(0.15);
            boolean eduFirst = eduGroup && type == SPAPR_V2 && chance(0.5); // v1 may take one group only: then it is attached after
            if (eduGroup) {
                emit("group g1 edu", "ok");
                if (eduFirst) {
                    emit("setcontainer g1 c0", "0");
                    eduAttached = true;
                }
            }
            for (int i = r.nextInt(3); i > 0; i--) {
                checkExtension();
            }
            if (chance(0.3)) {
                long wrong = pick(0, 1, 3, 5, 8, 9); // 5 is EEH: the sPAPR driver claims it, then refuses to open with it
                emit("setiommu c0 " + wrong, when(wrong == 1, "-ENODEV"));
            }
            emit("setiommu c0 " + type, "0");
            m.iommuSet(type);
            if (chance(0.1)) {
                emit("setiommu c0 " + pick(SPAPR_V1, SPAPR_V2), "-EINVAL"); // a second SET_IOMMU
            }
            if (m.v1() && chance(0.85)) {
                emit("enable c0", "0");
                m.enabled = true;
            }
            if (eduGroup && !eduFirst) {
                emit("setcontainer g1 c0");
                eduAttached = true;
            }
        }

        private void tearDown() {
            if (chance(0.1)) {
                emit("unsetcontainer g0", nvmeDevice ? "-EBUSY" : "0");
                emit("status g0", "0");
            }
            emit("closeall", "0");
        }

        /** One call of the chain's middle; false if the drawn kind does not apply now (the caller draws again). */
        private boolean step() {
            int w = r.nextInt(100);
            if (w < 7) {
                return info();
            } else if (w < 10) {
                return checkExtension();
            } else if (w < 12) {
                emit("status g0", "0");
                return true;
            } else if (w < 15) {
                return enableDisable();
            } else if (w < 28) {
                return settingMm(register());
            } else if (w < 36) {
                return unregister();
            } else if (w < 44) {
                return settingMm(create());
            } else if (w < 50) {
                return settingMm(remove());
            } else if (w < 69) {
                return map();
            } else if (w < 79) {
                return unmap();
            } else if (w < 89) {
                return eeh();
            } else if (w < 96) {
                return device();
            } else {
                return secondContainer();
            }
        }

        /** A v2 REGISTER, CREATE or REMOVE that was sent gave the container its mm ({@code tce_iommu_mm_set}), whatever its result. */
        private boolean settingMm(boolean sent) {
            m.mmSet |= sent && m.v2();
            return sent;
        }

        // ---- container and group calls ----

        private boolean info() {
            long argsz = pick(0, 8, 12, 15, 16, 20, 24, 31, 32, 40, 64, 100);
            emit("info c0 " + argsz, argsz < 16 ? "-EINVAL" : "0"); // minsz: up to dma32_window_size
            return true;
        }

        private boolean checkExtension() {
            long ext = r.nextInt(11);
            emit("checkext c0 " + ext, ext == SPAPR_V1 || ext == VFIO_EEH || ext == SPAPR_V2 ? "1" : "0");
            return true;
        }

        private boolean enableDisable() {
            boolean enable = r.nextBoolean();
            if (m.v2()) {
                emit(enable ? "enable c0" : "disable c0", "-ENOTTY");
            } else if (enable) {
                emit("enable c0", m.enabled ? "-EBUSY" : "0");
                m.enabled = true;
            } else {
                emit("disable c0", "0");
                m.enabled = false;
            }
            return true;
        }

        private boolean secondContainer() {
            if (!secondContainer) {
                emit("open c1", "ok");
                secondContainer = true;
                return true;
            }
            switch (r.nextInt(4)) {
                case 0 -> emit("setiommu c1 " + SPAPR_V2, "-EINVAL"); // no group
                case 1 -> emit("info c1 32", "-EINVAL");
                case 2 -> emit("setcontainer g0 c1"); // g0 is in c0 already
                default -> emit("checkext c1 " + pick(SPAPR_V1, SPAPR_V2), "1");
            }
            return true;
        }

        // ---- preregistered memory (v2) ----

        private boolean register() {
            if (!m.v2()) {
                emit("register c0 0 " + hex(REG_ALIGN), "-ENOTTY");
                return true;
            }
            int kind = r.nextInt(10);
            if (kind < 5) { // a new region
                long size = pick(1, 2, 4, 16, 32, 64, 128, 256) * REG_ALIGN;
                for (int attempt = 0; attempt < 10; attempt++) {
                    long off = r.nextLong(MEM / REG_ALIGN - size / REG_ALIGN + 1) * REG_ALIGN;
                    if (m.registered.stream().noneMatch(g -> g.overlaps(off, size))) {
                        emit("register c0 " + hex(off) + " " + hex(size), "0");
                        m.registered.add(new ChainModel.Range(off, size));
                        m.enabled = true;
                        return true;
                    }
                }
                return false;
            }
            if (kind < 7) {
                if (m.registered.isEmpty()) {
                    return false;
                }
                ChainModel.Range g = pick(m.registered);
                if (kind == 5) {
                    emit("register c0 " + hex(g.off()) + " " + hex(g.size()), "-EBUSY"); // the same range again
                    return true;
                }
                // overlapping g without being g, inside MEM: from one page before it, or one page longer
                long off = g.off() >= REG_ALIGN ? g.off() - REG_ALIGN : g.off();
                if (off + g.size() + REG_ALIGN > MEM) {
                    return false;
                }
                emit("register c0 " + hex(off) + " " + hex(g.size() + REG_ALIGN), "-EINVAL");
                return true;
            }
            long off = r.nextLong(MEM / REG_ALIGN - 1) * REG_ALIGN;
            switch (r.nextInt(6)) {
                case 0 -> emit("register c0 " + hex(off + 0x800) + " " + hex(REG_ALIGN), "-EINVAL");
                case 1 -> emit("register c0 " + hex(off) + " " + hex(REG_ALIGN + 0x800), "-EINVAL");
                case 2 -> emit("register c0 " + hex(off) + " 0x800", "-EINVAL");
                case 3 -> emit("register c0 " + hex(off) + " " + hex(REG_ALIGN) + " 1", "-EINVAL");
                case 4 -> emit("register c0 " + hex(off) + " " + hex(REG_ALIGN) + " 0 16", "-EINVAL");
                default -> emit("register c0 " + hex(FAR) + " " + hex(REG_ALIGN)); // memory the process does not have
            }
            return true;
        }

        private boolean unregister() {
            if (!m.v2()) {
                emit("unregister c0 0 " + hex(REG_ALIGN), "-ENOTTY");
                return true;
            }
            int kind = r.nextInt(10);
            long off;
            long size;
            String expected;
            String extra = "";
            if (kind < 5 && !m.registered.isEmpty()) { // a whole registered range
                ChainModel.Range g = pick(m.registered);
                off = g.off();
                size = g.size();
                if (m.possiblyMapped(off, size)) {
                    return false; // kernel bug 2
                }
                emit("unregister c0 " + hex(off) + " " + hex(size), "0");
                m.registered.remove(g);
                return true;
            } else if (kind < 7 && !m.registered.isEmpty()) { // a part of one
                ChainModel.Range g = pick(m.registered);
                if (g.size() == REG_ALIGN) {
                    return false;
                }
                off = g.off() + (r.nextBoolean() ? REG_ALIGN : 0);
                size = g.size() - REG_ALIGN;
                expected = "-ENOENT";
            } else if (kind < 9) { // a range never registered
                size = pick(1, 4, 16) * REG_ALIGN;
                off = r.nextLong(MEM / REG_ALIGN - size / REG_ALIGN + 1) * REG_ALIGN;
                long o = off;
                long s = size;
                if (m.registered.stream().anyMatch(g -> g.off() == o && g.size() == s)) {
                    return false;
                }
                expected = "-ENOENT";
            } else { // misaligned, or a flag
                off = r.nextLong(MEM / REG_ALIGN - 1) * REG_ALIGN;
                size = REG_ALIGN;
                if (r.nextBoolean()) {
                    off += 0x800;
                } else {
                    extra = " 1";
                }
                expected = "-EINVAL";
            }
            if (m.possiblyMapped(off & -REG_ALIGN, size + REG_ALIGN)) {
                return false; // not a whole registered range, but what the model cannot rule out is not sent
            }
            emit("unregister c0 " + hex(off) + " " + hex(size) + extra, when(m.mmSet, expected));
            return true;
        }

        // ---- windows (v2) ----

        private boolean create() {
            if (!m.v2()) {
                emit("create c0 16 0x40000000 1", "-ENOTTY");
                return true;
            }
            int kind = r.nextInt(20);
            int free = m.freeSlot();
            if (kind < 10) { // valid on 4 KiB and 64 KiB page kernels alike
                int shift = (int) pick(12, 16, 21);
                long size = switch (shift) {
                    case 12 -> 1L << (21 + r.nextInt(8));
                    case 16 -> 1L << (24 + r.nextInt(7));
                    default -> 1L << (27 + r.nextInt(4));
                };
                int levels = shift == 12 ? 1 + r.nextInt(3) : 1 + r.nextInt(2);
                m.possibleSizes.add(size);
                m.defaultMade();
                emit("create c0 " + shift + " " + hex(size) + " " + levels, free < 0 ? "-ENOSPC" : "0");
                if (free >= 0) {
                    m.slots[free] = new ChainModel.Window(free == 0 ? SLOT0 : SLOT1, size, shift);
                }
                return true;
            }
            if (kind < 16) { // invalid: the free slot is looked for first, then the page size, then the table
                long size = 1L << (24 + r.nextInt(4));
                String command = switch (r.nextInt(4)) {
                    case 0 -> "create c0 24 " + hex(size) + " 1";
                    case 1 -> {
                        size += pick(0x1000, 0x10000, size / 2);
                        yield "create c0 16 " + hex(size) + " 1";
                    }
                    case 2 -> "create c0 16 " + hex(size) + " 0";
                    default -> "create c0 16 " + hex(size) + " " + pick(6, 9);
                };
                m.possibleSizes.add(size);
                m.defaultMade();
                emit(command, free < 0 ? "-ENOSPC" : "-EINVAL");
                return true;
            }
            if (kind < 18) { // bad flags or a short argsz: refused before anything happens
                long size = 1L << (24 + r.nextInt(4));
                m.possibleSizes.add(size);
                emit("create c0 12 " + hex(size) + " 1 " + (r.nextBoolean() ? "1" : "0 32"), "-EINVAL");
                return true;
            }
            // levels the kernel's page size decides about (4 and 5 fail with 64 KiB pages): the outcome is
            // not known, so both slots are emptied right after, which leaves no window whatever happened
            long size = 1L << (21 + r.nextInt(6));
            m.possibleSizes.add(size);
            m.defaultMade();
            emit("create c0 12 " + hex(size) + " " + (4 + r.nextInt(2)), free < 0 ? "-ENOSPC" : null);
            // a slot the model knows to be full is emptied for sure; a free one may have got the new window
            emit("remove c0 " + hex(SLOT0), when(m.slots[0] != null, "0"));
            emit("remove c0 " + hex(SLOT1), when(m.slots[1] != null, "0"));
            m.removeWindow(0);
            m.removeWindow(1);
            m.live.clear();
            return true;
        }

        private boolean remove() {
            if (!m.v2()) {
                emit("remove c0 0", "-ENOTTY");
                return true;
            }
            int kind = r.nextInt(10);
            List<ChainModel.Window> present = m.present();
            if (kind < 6 && !present.isEmpty()) {
                ChainModel.Window w = pick(present);
                int slot = w.start() == SLOT0 ? 0 : 1;
                long at = r.nextBoolean() ? w.start() : w.start() + 0x1234; // any address inside removes it
                if (slot == 0 && m.defaultPending && at != 0) {
                    emit("remove c0 " + hex(at), "-EINVAL"); // no table yet: only address 0 cancels the pending window
                    return true;
                }
                emit("remove c0 " + hex(at), "0");
                m.removeWindow(slot);
                return true;
            }
            long at = pick(SLOT0, SLOT1, 1L << 48, SLOT1 - REG_ALIGN);
            if (kind < 8) {
                if (m.windowAt(at) != null) {
                    return false;
                }
                emit("remove c0 " + hex(at), "-EINVAL");
            } else {
                emit("remove c0 " + hex(at) + (r.nextBoolean() ? " 1" : " 0 8"), "-EINVAL"); // refused before the windows are looked at
            }
            return true;
        }

        // ---- DMA ----

        private boolean map() {
            if (m.iommu == 0) {
                return false;
            }
            int kind = r.nextInt(20);
            if (kind < 9) {
                return validMap();
            }
            ChainModel.Window w = pickWindow();
            long off = r.nextLong(MEM / 0x1000 - 16) * 0x1000;
            long size = pick(1, 2, 16) * 0x1000;
            long flags = 3;
            long argsz = ScriptCommand.MAP_ARGSZ;
            long iova;
            String expected;
            if (kind <= 10) { // outside every window that could exist
                iova = pick(1L << 44, SLOT1 - 0x10000, SLOT1 + FAR, DEFAULT_WINDOW, -0x100000L);
                if (m.possiblyInside(iova)) {
                    return false;
                }
                expected = "-ENXIO";
            } else if (kind == 19) { // starting just below window slot 1 and ending inside it: its start is in no window
                iova = SLOT1 - 0x1000;
                if (m.slots[1] == null || m.possiblyInside(iova)) {
                    return false;
                }
                size = 0x2000;
                expected = "-ENXIO";
            } else {
                if (w == null) {
                    return false;
                }
                long p = w.page();
                iova = w.start() + r.nextInt(16) * p;
                off = off & -p;
                size = (size + p - 1) & -p;
                switch (kind) {
                    case 11 -> iova += 0x800;
                    case 12 -> size += 0x800;
                    case 13 -> off += 0x800;
                    case 14 -> flags = 0;
                    case 15 -> flags = pick(4, 8, 0x80000003L);
                    case 16 -> size = 0;
                    case 17 -> argsz = pick(16, 31);
                    default -> { // memory MAP_DMA cannot reach: unregistered (v2), not in the process (v1)
                        if (m.v1()) {
                            off = FAR;
                        } else {
                            long o = off;
                            long s = size;
                            if (m.registered.stream().anyMatch(g -> g.overlaps(o, s))) {
                                return false;
                            }
                        }
                    }
                }
                expected = switch (kind) {
                    // iommu_tce_put_param_check joins its checks with ||: a misaligned IOVA makes MAP_DMA return 1
                    case 11 -> "1";
                    case 16 -> "0";
                    case 18 -> m.v1() ? "-EFAULT" : "-EINVAL";
                    default -> "-EINVAL";
                };
            }
            return emitMap(iova, off, size, flags, argsz, expected);
        }

        /** A map the kernel takes: registered memory (v2) or any of MEM (v1) into a window, aligned to its pages. */
        private boolean validMap() {
            ChainModel.Window w = pickWindow();
            if (w == null) {
                return false;
            }
            long p = w.page();
            ChainModel.Range memory = m.v1() ? new ChainModel.Range(0, MEM) : m.registered.isEmpty() ? null : pick(m.registered);
            if (memory == null) {
                return false;
            }
            long lo = (memory.off() + p - 1) & -p;
            if (lo + p > memory.end()) {
                return false;
            }
            long available = (memory.end() - lo) / p;
            long pages = 1 + r.nextLong(Math.min(available, 16));
            long off = lo + r.nextLong(available - pages + 1) * p;
            long windowPages = w.size() / p;
            if (pages > windowPages) {
                return false;
            }
            long slack = windowPages - pages + 1;
            long iova = w.start() + (chance(0.7) ? r.nextLong(Math.min(slack, 32)) : r.nextLong(slack)) * p;
            long flags = pick(1, 2, 3, 3);
            // 4 KiB TCEs map on every kernel page size; larger ones depend on it (and on huge pages)
            return emitMap(iova, off, pages * p, flags, ScriptCommand.MAP_ARGSZ, w.shift() == 12 ? "0" : null);
        }

        /** Emits a map unless it could hit kernel bug 1; records it as possibly live unless it certainly fails. */
        private boolean emitMap(long iova, long off, long size, long flags, long argsz, String expected) {
            if (m.straddles(iova, size)) {
                return false; // kernel bug 1
            }
            emit("map c0 " + hex(iova) + " " + hex(off) + " " + hex(size) + " " + flags
                    + (argsz == ScriptCommand.MAP_ARGSZ ? "" : " " + argsz), when(m.enabled, expected));
            boolean checked = m.enabled && argsz >= ScriptCommand.MAP_ARGSZ && (flags & ~3L) == 0;
            if (checked && m.v2()) {
                m.defaultMade();
            }
            boolean certainlyFails = size == 0 || flags == 0 || !m.possiblyInside(iova) || ((iova | size | off) & 0xfff) != 0;
            if (!certainlyFails) {
                m.live.add(new ChainModel.Mapping(iova, size, off));
            }
            return true;
        }

        private boolean unmap() {
            if (m.iommu == 0) {
                return false;
            }
            int kind = r.nextInt(10);
            ChainModel.Window w = pickWindow();
            if (kind < 6) { // valid: what a live mapping covers, or any aligned range of a window
                long iova;
                long size;
                List<ChainModel.Mapping> inWindows = m.live.stream().filter(x -> m.windowAt(x.iova()) != null).toList();
                if (kind < 3 && !inWindows.isEmpty()) {
                    ChainModel.Mapping x = pick(inWindows);
                    w = m.windowAt(x.iova());
                    iova = x.iova() & -w.page();
                    size = ((x.iova() + x.size() - iova) + w.page() - 1) & -w.page();
                } else {
                    if (w == null) {
                        return false;
                    }
                    iova = w.start() + r.nextInt(32) * w.page();
                    size = (1 + r.nextInt(16)) * w.page();
                }
                if (Long.compareUnsigned(iova + size, w.end()) > 0 || m.straddles(iova, size)) {
                    return false;
                }
                emit("unmap c0 " + hex(iova) + " " + hex(size) + " 0", when(m.enabled, "0"));
                if (m.enabled) {
                    m.defaultMade();
                    m.unmapped(iova, size);
                }
                return true;
            }
            long iova = w == null ? 0 : w.start();
            long size = w == null ? 0x1000 : w.page();
            long flags = 0;
            long argsz = ScriptCommand.UNMAP_ARGSZ;
            String expected;
            switch (kind) {
                case 6 -> {
                    iova = pick(1L << 44, SLOT1 - 0x10000, DEFAULT_WINDOW);
                    if (m.possiblyInside(iova)) {
                        return false;
                    }
                    expected = "-ENXIO";
                }
                case 7 -> {
                    flags = pick(1, 2, 2); // 2 is UNMAP_FLAG_ALL: no flag is supported here
                    expected = "-EINVAL";
                }
                case 8 -> {
                    if (w == null) {
                        return false;
                    }
                    size = pick(0, 0x800, w.page() + 0x800);
                    expected = size == 0 ? "0" : "-EINVAL";
                }
                default -> {
                    argsz = 16;
                    expected = "-EINVAL";
                }
            }
            if (m.straddles(iova, size)) {
                return false;
            }
            emit("unmap c0 " + hex(iova) + " " + hex(size) + " " + flags + (argsz == ScriptCommand.UNMAP_ARGSZ ? "" : " " + argsz),
                    when(m.enabled, expected));
            if (m.enabled && flags == 0 && argsz >= ScriptCommand.UNMAP_ARGSZ) {
                m.defaultMade();
            }
            return true;
        }

        private ChainModel.Window pickWindow() {
            List<ChainModel.Window> present = m.present();
            return present.isEmpty() ? null : pick(present);
        }

        // ---- EEH ----

        private boolean eeh() {
            boolean sure = !eduAttached && !eehDisabled; // what the trial saw: one PE, EEH not disabled before
            int kind = r.nextInt(40);
            if (kind < 24) {
                emit("eeh c0 " + pick(VFIO_EEH_PE_ENABLE, VFIO_EEH_PE_GET_STATE, VFIO_EEH_PE_GET_STATE, VFIO_EEH_PE_UNFREEZE_IO,
                        VFIO_EEH_PE_UNFREEZE_DMA, VFIO_EEH_PE_CONFIGURE), when(sure, "0"));
            } else if (kind < 30) {
                emit(switch (r.nextInt(3)) {
                    case 0 -> "eeh c0 99"; // no such op
                    case 1 -> "eeh c0 " + VFIO_EEH_PE_ENABLE + " 0 8"; // argsz short of the op field
                    default -> "eeh c0 " + VFIO_EEH_PE_ENABLE + " 1"; // a flag
                }, "-EINVAL");
            } else if (kind < 33) {
                emit("eeh c0 " + VFIO_EEH_PE_DISABLE, when(sure, "0"));
                eehDisabled = true;
            } else if (kind < 35) {
                emit("inject c0 " + r.nextInt(2) + " " + r.nextInt(4) + " 0 0", when(sure, "-EIO"));
            } else if (kind == 35 && !resetDone && !eduGroup) {
                resetEdusPe();
            } else {
                return false;
            }
            return true;
        }

        /**
         * The recovery sequence's resets, on edu's PE alone, in a container of its own: a hot reset
         * costs the guest about 5 s on edu's PE, and 9 s on NVMe's, which QEMU's NVMe does not
         * survive (the kernel gives up waiting for it). At most once a chain, rarely.
         */
        private void resetEdusPe() {
            emit("open c2", "ok");
            emit("group g2 edu", "ok");
            emit("setcontainer g2 c2", "0");
            emit("setiommu c2 " + pick(SPAPR_V1, SPAPR_V2), "0");
            for (long op : new long[] {VFIO_EEH_PE_ENABLE, VFIO_EEH_PE_RESET_HOT, VFIO_EEH_PE_RESET_DEACTIVATE, VFIO_EEH_PE_CONFIGURE,
                VFIO_EEH_PE_GET_STATE}) {
                emit("eeh c2 " + op, "0");
            }
            emit("close g2", "0");
            emit("close c2", "0");
            resetDone = true;
        }

        // ---- devices ----

        private boolean device() {
            if (!nvmeDevice) {
                if (!chance(0.35)) {
                    return false;
                }
                emit("device d0 g0 nvme", "ok");
                nvmeDevice = true;
                return true;
            }
            if (eduAttached && !eduDevice && chance(0.05)) { // about 10 s of the guest's time: very rarely
                emit("device d1 g1 edu");
                emit("read d1 " + CONFIG + " 0 4");
                eduDevice = true;
                return true;
            }
            switch (r.nextInt(8)) {
                case 0 -> emit("read d0 " + CONFIG + " 0 4", "4 361b1000");
                case 1 -> emit("read d0 " + CONFIG + " 8 4");
                case 2 -> emit("read d0 " + CONFIG + " 0x2c 4");
                case 3 -> emit("read d0 " + CONFIG + " 0xe 1");
                case 4 -> emit("read d0 " + CONFIG + " 0x34 1");
                case 5 -> emit("read d0 9 0 4");
                case 6 -> emit("unsetcontainer g0", "-EBUSY"); // a device of the group is open
                default -> {
                    emit("close d0", "0");
                    nvmeDevice = false;
                }
            }
            return true;
        }
    }
}
