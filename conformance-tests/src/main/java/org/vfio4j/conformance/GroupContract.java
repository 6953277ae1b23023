package org.vfio4j.conformance;

import static org.assertj.core.api.Assertions.assertThat;
import static org.vfio4j.fixtures.assertj.VfioAssertions.assertThatVfioCall;

import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import org.vfio4j.Errno;
import org.vfio4j.GroupStatus;
import org.vfio4j.IommuType;
import org.vfio4j.VfioContainer;
import org.vfio4j.VfioDevice;
import org.vfio4j.VfioGroup;
import org.vfio4j.spi.LinuxAbi;

/**
 * Group and device-fd life cycle, I5-I12 of docs/conformance.md ({@code drivers/vfio/group.c}:
 * {@code vfio_group_fops_open}, {@code vfio_group_ioctl_set_container}, {@code
 * vfio_group_ioctl_unset_container}, {@code vfio_group_ioctl_get_device_fd}). Model: container
 * users = 1 + open device fds.
 */
public interface GroupContract extends Contract {

    private String groupNode() {
        return "/dev/vfio/" + target().group();
    }

    /** I5: a group has one open file at a time; a second open is EBUSY until the first is closed ({@code vfio_group_fops_open}). */
    @Property(tries = 20)
    default void groupOpen_isEbusyWhileTheGroupIsOpen(@ForAll @IntRange(min = 1, max = 4) int extraOpens) throws Exception {
        try (Session s = new Session(target())) {
            VfioGroup g = s.vfio.openGroup(target().group());
            for (int i = 0; i < extraOpens; i++) {
                assertThatVfioCall(() -> s.vfio.seam().open(groupNode(), LinuxAbi.O_RDWR)).failsWith(Errno.EBUSY);
            }
            g.close();
            s.vfio.openGroup(target().group()).close();
        }
    }

    /** I6 and I7: CONTAINER_SET follows SET/UNSET; SET on an attached group is EINVAL and changes nothing. */
    @Property(tries = 30)
    default void containerSet_followsSetAndUnset_andASecondSetIsEinval(@ForAll @IntRange(min = 0, max = 3) int repeats) throws Exception {
        try (Session s = new Session(target())) {
            VfioContainer c = s.vfio.openContainer();
            VfioContainer other = s.vfio.openContainer();
            VfioGroup g = s.vfio.openGroup(target().group());
            assertThat(g.status()).isEqualTo(new GroupStatus(true, false));
            for (int i = 0; i <= repeats; i++) {
                g.setContainer(c);
                assertThat(g.status().containerSet()).isTrue();
                assertThatVfioCall(() -> g.setContainer(c)).failsWith(Errno.EINVAL);
                assertThatVfioCall(() -> g.setContainer(other)).failsWith(Errno.EINVAL);
                assertThat(g.status()).isEqualTo(new GroupStatus(true, true));
                g.unsetContainer();
                assertThat(g.status().containerSet()).isFalse();
                assertThatVfioCall(g::unsetContainer).as("not attached").failsWith(Errno.EINVAL);
            }
        }
    }

    /** I8 and I9: UNSET succeeds iff no device fd is open; each GET_DEVICE_FD is a new fd and one more user. */
    @Property(tries = 30)
    default void deviceFds_areNewEachTime_andUnsetContainerIsEbusyWhileOpen(@ForAll @IntRange(min = 1, max = 4) int devices) throws Exception {
        try (Session s = new Session(target())) {
            Session.Attached a = s.attach(IommuType.TYPE1V2);
            List<VfioDevice> open = new ArrayList<>();
            for (int i = 0; i < devices; i++) {
                VfioDevice d = a.group().openDevice(target().device());
                assertThat(open).noneMatch(o -> o.fd().number() == d.fd().number());
                assertThat(d.info().isPci()).isTrue();
                open.add(d);
            }
            for (VfioDevice d : open) {
                assertThatVfioCall(a.group()::unsetContainer).failsWith(Errno.EBUSY);
                d.close();
            }
            a.group().unsetContainer();
        }
    }

    /** I10: closing the group fd with device fds open keeps it attached (re-open EBUSY) until the last device closes. */
    @Property(tries = 20)
    default void groupClose_withDeviceFdsOpen_keepsItBusyUntilTheyClose(@ForAll @IntRange(min = 1, max = 3) int devices) throws Exception {
        try (Session s = new Session(target())) {
            Session.Attached a = s.attach(IommuType.TYPE1V2);
            List<VfioDevice> open = new ArrayList<>();
            for (int i = 0; i < devices; i++) {
                open.add(a.group().openDevice(target().device()));
            }
            a.group().close();
            for (VfioDevice d : open) {
                assertThatVfioCall(() -> s.vfio.seam().open(groupNode(), LinuxAbi.O_RDWR)).failsWith(Errno.EBUSY);
                assertThat(d.info().numRegions()).as("the device still works").isGreaterThanOrEqualTo(9);
                d.close();
            }
            VfioGroup again = s.vfio.openGroup(target().group());
            assertThat(again.status().containerSet()).isFalse();
        }
    }

    /** I11: detaching the last group empties the DMA list; after re-attaching, the old range unmaps 0 bytes and maps again. */
    @Property(tries = 20)
    default void lastDetach_dropsTheMappings(@ForAll @IntRange(min = 1, max = 8) int pages) throws Exception {
        try (Session s = new Session(target())) {
            MemorySegment m = s.memory(pages);
            Session.Attached a = s.attach(IommuType.TYPE1V2);
            a.container().mapDma(m, 0x100000);
            a.group().unsetContainer();
            a.group().setContainer(a.container());
            a.container().setIommu(IommuType.TYPE1V2);
            assertThat(a.container().unmapDma(0x100000, pages * Session.PAGE)).isZero();
            a.container().mapDma(m, 0x100000);
        }
    }

    /** I12: closing the container fd while a group is attached changes nothing seen through the group. */
    @Property(tries = 10)
    default void containerFdClose_withAGroupAttached_keepsTheContainer(@ForAll @IntRange(min = 1, max = 2) int devices) throws Exception {
        try (Session s = new Session(target())) {
            Session.Attached a = s.attach(IommuType.TYPE1V2);
            a.container().close();
            assertThat(a.group().status()).isEqualTo(new GroupStatus(true, true));
            for (int i = 0; i < devices; i++) {
                a.group().openDevice(target().device()).close();
            }
        }
    }

    /**
     * GET_DEVICE_FD: unknown names are ENODEV (6.1 looks the name up first, {@code
     * vfio_device_get_from_name}); without an IOMMU it is EINVAL ({@code vfio_group_use_container}).
     */
    @Property(tries = 20)
    default void getDeviceFd_unknownNameIsEnodev_noIommuIsEinval(@ForAll("suffixes") String suffix) throws Exception {
        try (Session s = new Session(target())) {
            VfioContainer c = s.vfio.openContainer();
            VfioGroup g = s.vfio.openGroup(target().group());
            String wrong = target().device() + suffix;
            assertThatVfioCall(() -> g.openDevice(wrong)).failsWith(target().profile().claimsGroupOwnershipAtSetContainer() ? Errno.ENODEV : Errno.EINVAL);
            assertThatVfioCall(() -> g.openDevice(target().device())).failsWith(Errno.EINVAL);
            g.setContainer(c);
            assertThatVfioCall(() -> g.openDevice(target().device())).as("no IOMMU yet").failsWith(Errno.EINVAL);
            c.setIommu(IommuType.TYPE1V2);
            assertThatVfioCall(() -> g.openDevice(wrong)).failsWith(Errno.ENODEV);
            g.openDevice(target().device()).close();
        }
    }

    /** Suffixes that turn a device name into one that is not the device's. */
    @net.jqwik.api.Provide
    default net.jqwik.api.Arbitrary<String> suffixes() {
        return net.jqwik.api.Arbitraries.of("x", "0", ".1", "-", "_vf", "\t");
    }

    /** A non-viable group: 6.1 refuses SET_CONTAINER (EPERM: DMA ownership is taken), 5.7 refuses GET_DEVICE_FD (EINVAL). */
    @Property(tries = 5)
    @RequiresFeature(TargetFeature.NON_VIABLE_GROUP)
    default void nonViableGroup_isEpermAtSetContainerOn61_andAttachesOn57(@ForAll @IntRange(min = 0, max = 1) int unused) throws Exception {
        try (Session s = new Session(target())) {
            VfioContainer c = s.vfio.openContainer();
            VfioGroup g = s.vfio.openGroup(target().nonViableGroup().getAsInt());
            assertThat(g.status()).isEqualTo(new GroupStatus(false, false));
            if (target().profile().claimsGroupOwnershipAtSetContainer()) {
                assertThatVfioCall(() -> g.setContainer(c)).failsWith(Errno.EPERM);
                assertThat(g.status().containerSet()).isFalse();
            } else {
                g.setContainer(c);
                c.setIommu(IommuType.TYPE1V2);
                assertThat(g.status()).isEqualTo(new GroupStatus(false, true));
            }
        }
    }

    /** SET_CONTAINER with an fd that is not a container is EINVAL (EBADFD from 6.2), with a closed one EBADF ({@code vfio_group_ioctl_set_container}). */
    @Property(tries = 10)
    default void setContainer_withAnFdThatIsNotAnOpenContainer_isRefused(@ForAll @IntRange(min = 0, max = 1) int closed) throws Exception {
        try (Session s = new Session(target())) {
            VfioGroup g = s.vfio.openGroup(target().group());
            var eventfd = s.vfio.seam().eventfd(0, 0);
            MemorySegment arg = s.memory(1);
            arg.set(java.lang.foreign.ValueLayout.JAVA_INT, 0, eventfd.number());
            if (closed == 1) {
                s.vfio.seam().close(eventfd);
                assertThatVfioCall(() -> s.vfio.seam().ioctl(g.fd(), org.vfio4j.uapi.VfioUapi.VFIO_GROUP_SET_CONTAINER, arg))
                        .failsWith(Errno.EBADF);
            } else {
                assertThatVfioCall(() -> s.vfio.seam().ioctl(g.fd(), org.vfio4j.uapi.VfioUapi.VFIO_GROUP_SET_CONTAINER, arg))
                        .failsWith(target().profile().setContainerWithAnotherFdIsEbadfd() ? Errno.EBADFD : Errno.EINVAL);
            }
            arg.set(java.lang.foreign.ValueLayout.JAVA_INT, 0, -1);
            assertThatVfioCall(() -> s.vfio.seam().ioctl(g.fd(), org.vfio4j.uapi.VfioUapi.VFIO_GROUP_SET_CONTAINER, arg))
                    .failsWith(target().profile().claimsGroupOwnershipAtSetContainer() ? Errno.EBADF : Errno.EINVAL);
        }
    }
}
