package org.vfio4j.conformance;

import static org.assertj.core.api.Assertions.assertThat;
import static org.vfio4j.fixtures.assertj.VfioAssertions.assertThatVfioCall;

import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;
import org.vfio4j.Errno;
import org.vfio4j.GroupStatus;
import org.vfio4j.IommuType;
import org.vfio4j.VfioContainer;
import org.vfio4j.VfioDevice;
import org.vfio4j.VfioException;
import org.vfio4j.VfioGroup;

/**
 * The state of one action chain: the backend under test (container, group and device handles)
 * beside a naive model of what the kernel should hold. Every step runs the real call, checks its
 * result or errno against the model, then advances the model. The model is plain Java written for
 * this test: which container the group is in, whether an IOMMU is set, a list of mapped intervals
 * and counts of open fds; it never looks at the backend's own structures.
 */
public final class VfioWorld implements AutoCloseable {
    private static final ThreadLocal<VfioWorld> CURRENT = new ThreadLocal<>();
    static final long BASE = 0x1_0000_0000L;

    /** The model of one container: its IOMMU and mappings (page intervals relative to BASE). */
    static final class ContainerModel {
        IommuType iommu;
        final List<long[]> mappings = new ArrayList<>();
        boolean inGroup;
    }

    final ConformanceTarget target;
    final Session session;
    final MemorySegment memory;

    // the backend's handles
    VfioContainer container;
    VfioGroup group;
    final List<VfioDevice> devices = new ArrayList<>();

    // the model
    ContainerModel fdContainer;      // the container our container fd refers to
    ContainerModel groupContainer;   // the container the group is attached to
    boolean groupFileHeld;           // the group file is alive (fd open, or device fds holding it)

    VfioWorld(ConformanceTarget target) {
        try {
            this.target = target;
            this.session = new Session(target);
            this.memory = session.memory(8);
        } catch (VfioException e) {
            throw new IllegalStateException("cannot start a session on " + target.name(), e);
        }
        CURRENT.set(this);
    }

    /** Closes the world the last chain on this thread created (the chain may have failed midway). */
    static void closeCurrent() {
        VfioWorld w = CURRENT.get();
        CURRENT.remove();
        if (w != null) {
            w.close();
        }
    }

    @Override
    public void close() {
        session.close();
    }

    // ---- steps: each does the call, checks it against the model, and advances the model ----

    void openContainer() throws VfioException {
        container = session.vfio.openContainer();
        fdContainer = new ContainerModel();
    }

    void closeContainer() throws VfioException {
        container.close();
        container = null;
        fdContainer = null; // the container lives on only if the group holds it
    }

    void openGroup() throws VfioException {
        if (groupFileHeld) {
            assertThatVfioCall(() -> session.vfio.openGroup(target.group())).as("group file still held").failsWith(Errno.EBUSY);
            return;
        }
        group = session.vfio.openGroup(target.group());
        groupFileHeld = true;
    }

    void closeGroup() throws VfioException {
        group.close();
        group = null;
        if (devices.isEmpty()) {
            releaseGroupFile();
        }
    }

    private void releaseGroupFile() {
        groupFileHeld = false;
        if (groupContainer != null) {
            detach();
        }
    }

    private void detach() {
        groupContainer.inGroup = false;
        groupContainer.iommu = null; // the last (only) group left: the backend and all mappings go
        groupContainer.mappings.clear();
        groupContainer = null;
    }

    void setContainer() {
        var call = assertThatVfioCall(() -> group.setContainer(container));
        if (groupContainer != null) {
            call.as("already attached").failsWith(Errno.EINVAL);
            return;
        }
        call.succeeds();
        groupContainer = fdContainer;
        groupContainer.inGroup = true;
    }

    void unsetContainer() {
        var call = assertThatVfioCall(group::unsetContainer);
        if (groupContainer == null) {
            call.as("not attached").failsWith(Errno.EINVAL);
        } else if (!devices.isEmpty()) {
            call.as("device fds open").failsWith(Errno.EBUSY);
        } else {
            call.succeeds();
            detach();
        }
    }

    void setIommu(IommuType type) {
        var call = assertThatVfioCall(() -> container.setIommu(type));
        if (!fdContainer.inGroup || fdContainer.iommu != null) {
            call.as("no group, or IOMMU already set").failsWith(Errno.EINVAL);
            return;
        }
        call.succeeds();
        fdContainer.iommu = type;
    }

    void map(long startPage, long pages) {
        var call = assertThatVfioCall(() -> container.mapDma(memory.asSlice(0, pages * Session.PAGE), BASE + startPage * Session.PAGE));
        if (fdContainer.iommu == null) {
            call.as("no IOMMU").failsWith(Errno.EINVAL);
            return;
        }
        boolean overlaps = fdContainer.mappings.stream().anyMatch(iv -> iv[0] < startPage + pages && startPage < iv[0] + iv[1]);
        boolean full = target.dmaEntryLimit().isPresent() && fdContainer.mappings.size() >= target.dmaEntryLimit().getAsInt();
        boolean overLimit = target.memlockPages().isPresent() && chargedPages() + pages > target.memlockPages().getAsInt();
        // vfio_dma_do_map's order: overlap, then slots, then pinning
        Errno expected = overlaps ? Errno.EEXIST : full ? Errno.ENOSPC : overLimit ? Errno.ENOMEM : null;
        Calls.failsWithOrSucceeds(call.as("with the model's mappings %s", intervals(fdContainer)), expected);
        if (expected == null) {
            fdContainer.mappings.add(new long[] {startPage, pages});
        }
    }

    /** Pages pinned by every mapping of the containers in play (each mapping pins its own pages). */
    private long chargedPages() {
        long total = pages(fdContainer);
        if (groupContainer != fdContainer) {
            total += pages(groupContainer);
        }
        return total;
    }

    /** The model's mappings as page intervals, for failure messages: {@code [[0, +2), [4, +1)]}. */
    private static String intervals(ContainerModel c) {
        return c.mappings.stream().map(iv -> "[" + iv[0] + ", +" + iv[1] + ")").toList().toString();
    }

    private static long pages(ContainerModel c) {
        return c == null ? 0 : c.mappings.stream().mapToLong(iv -> iv[1]).sum();
    }

    void unmap(long startPage, long pages) {
        if (fdContainer.iommu == IommuType.TYPE1 && !target.profile().unmapsInAddressOrder()
                && fdContainer.mappings.stream().anyMatch(iv -> iv[0] < startPage && startPage < iv[0] + iv[1])) {
            return; // before 5.12, v1 with a straddled start: the kernel's rb-tree shape decides which mappings go; not modelled here
        }
        var call = assertThatVfioCall(() -> container.unmapDma(BASE + startPage * Session.PAGE, pages * Session.PAGE))
                .as("with the model's mappings %s", intervals(fdContainer));
        if (fdContainer.iommu == null) {
            call.as("no IOMMU").failsWith(Errno.EINVAL);
            return;
        }
        long last = startPage + pages - 1;
        List<long[]> m = fdContainer.mappings;
        boolean v2 = fdContainer.iommu == IommuType.TYPE1V2;
        if (v2) {
            boolean cuts = m.stream().anyMatch(iv -> (iv[0] < startPage && startPage < iv[0] + iv[1])
                    || (iv[0] <= last && last < iv[0] + iv[1] - 1));
            if (cuts) {
                call.as("v2 unmap may not split").failsWith(Errno.EINVAL);
                return;
            }
            List<long[]> gone = m.stream().filter(iv -> iv[0] >= startPage && iv[0] + iv[1] - 1 <= last).toList();
            call.succeeds().isEqualTo(gone.stream().mapToLong(iv -> iv[1]).sum() * Session.PAGE);
            m.removeAll(gone);
            return;
        }
        boolean straddled = m.stream().anyMatch(iv -> iv[0] < startPage && startPage < iv[0] + iv[1]);
        List<long[]> gone = straddled ? List.of()
                : m.stream().filter(iv -> iv[0] <= last && iv[0] + iv[1] - 1 >= startPage).toList();
        call.succeeds().isEqualTo(gone.stream().mapToLong(iv -> iv[1]).sum() * Session.PAGE);
        m.removeAll(gone);
    }

    void openDevice() {
        VfioDevice[] d = new VfioDevice[1];
        var call = assertThatVfioCall(() -> d[0] = group.openDevice(target.device()));
        if (groupContainer == null || groupContainer.iommu == null) {
            call.as("no container or no IOMMU").failsWith(Errno.EINVAL);
            return;
        }
        call.succeeds();
        devices.add(d[0]);
    }

    void closeDevice() throws VfioException {
        devices.remove(devices.size() - 1).close();
        if (devices.isEmpty() && group == null) {
            releaseGroupFile();
        }
    }

    // ---- invariants ----

    /** GET_STATUS reports CONTAINER_SET exactly when the model says the group is attached. */
    void statusMatchesModel() throws VfioException {
        if (group != null) {
            GroupStatus st = group.status();
            assertThat(st.containerSet()).isEqualTo(groupContainer != null);
            assertThat(st.viable()).isTrue();
        }
    }

    static void statusMatchesModelUnchecked(VfioWorld w) {
        try {
            w.statusMatchesModel();
        } catch (VfioException e) {
            throw new AssertionError("GET_STATUS failed", e);
        }
    }

    static void slotsMatchModelUnchecked(VfioWorld w) {
        try {
            w.slotsMatchModel();
        } catch (VfioException e) {
            throw new AssertionError("GET_INFO failed", e);
        }
    }

    /** From 5.10 the DMA_AVAIL capability equals the limit minus the model's mappings. */
    void slotsMatchModel() throws VfioException {
        if (container != null && fdContainer.iommu != null && target.profile().hasDirtyPageTracking() && target.dmaEntryLimit().isPresent()) {
            assertThat(container.iommuInfo().dmaAvailable())
                    .contains(target.dmaEntryLimit().getAsInt() - fdContainer.mappings.size());
        }
    }
}
