package org.vfio4j.conformance;

import static org.assertj.core.api.Assertions.assertThat;
import static org.vfio4j.fixtures.assertj.VfioAssertions.assertThatVfioCall;
import static org.vfio4j.uapi.VfioUapi.*;

import java.lang.foreign.MemorySegment;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import org.vfio4j.Errno;
import org.vfio4j.IommuType;
import org.vfio4j.VfioContainer;
import org.vfio4j.VfioException;
import org.vfio4j.spi.VfioKernel;

/**
 * Container rules, I1-I4 of docs/conformance.md ({@code drivers/vfio/container.c}: {@code
 * vfio_fops_unl_ioctl}, {@code vfio_container_ioctl_check_extension}, {@code vfio_ioctl_set_iommu}).
 */
public interface ContainerContract extends Contract {

    /** Extension numbers: the known ones and arbitrary longs. */
    @Provide
    default Arbitrary<Long> extensionValues() {
        return Arbitraries.oneOf(Arbitraries.longs().between(-2, 12), Arbitraries.longs());
    }

    /** ioctl requests of VFIO's type that the container does not handle. */
    @Provide
    default Arbitrary<Long> nonCoreRequests() {
        // requests of VFIO's ioctl type ';' (with or without direction and size bits); other types
        // may be VFS-generic ioctls (FIONBIO, FIOCLEX...) that never reach VFIO
        Arbitrary<Long> plain = Arbitraries.integers().between(0, 255).map(nr -> org.vfio4j.uapi.Ioctl.io(';', nr));
        Arbitrary<Long> sized = net.jqwik.api.Combinators.combine(Arbitraries.integers().between(0, 3),
                Arbitraries.integers().between(0, 255), Arbitraries.integers().between(0, 0x3fff))
                .as((dir, nr, size) -> org.vfio4j.uapi.Ioctl.ioc(dir, ';', nr, size));
        return Arbitraries.oneOf(plain, sized)
                .filter(r -> r != VFIO_GET_API_VERSION && r != VFIO_CHECK_EXTENSION && r != VFIO_SET_IOMMU);
    }

    /** I1: GET_API_VERSION is 0 in every state. */
    @Property(tries = 30)
    default void apiVersion_isZeroInEveryState(@ForAll("extensionValues") long ignoredArgument) throws Exception {
        try (Session s = new Session(target())) {
            VfioContainer fresh = s.vfio.openContainer();
            VfioKernel k = s.vfio.seam();
            assertThat(k.ioctl(fresh.fd(), VFIO_GET_API_VERSION, ignoredArgument)).isZero();
            Session.Attached a = s.attach(IommuType.TYPE1V2);
            assertThat(a.container().apiVersion()).isZero();
            a.group().unsetContainer();
            assertThat(a.container().apiVersion()).as("after the last group left").isZero();
        }
    }

    /** I2: CHECK_EXTENSION never fails and is >= 0; after SET_IOMMU(t), CHECK_EXTENSION(t) > 0. */
    @Property(tries = 60)
    default void checkExtension_neverFails_andConfirmsTheSetType(@ForAll("extensionValues") long value) throws Exception {
        try (Session s = new Session(target())) {
            VfioContainer c = s.vfio.openContainer();
            VfioKernel k = s.vfio.seam();
            assertThat(k.ioctl(c.fd(), VFIO_CHECK_EXTENSION, value)).isGreaterThanOrEqualTo(0);
            Session.Attached a = s.attach(IommuType.TYPE1V2);
            assertThat(k.ioctl(a.container().fd(), VFIO_CHECK_EXTENSION, value)).isGreaterThanOrEqualTo(0);
            assertThat(a.container().checkExtension(VFIO_TYPE1v2_IOMMU)).isPositive();
        }
    }

    /** I3: SET_IOMMU without a group is EINVAL; after one success every further SET_IOMMU is EINVAL. */
    @Property(tries = 30)
    default void setIommu_needsAGroup_andHappensOnce(@ForAll("extensionValues") long value) throws Exception {
        try (Session s = new Session(target())) {
            VfioContainer empty = s.vfio.openContainer();
            assertThatVfioCall(() -> s.vfio.seam().ioctl(empty.fd(), VFIO_SET_IOMMU, value)).failsWith(Errno.EINVAL);
            Session.Attached a = s.attach(IommuType.TYPE1);
            assertThatVfioCall(() -> s.vfio.seam().ioctl(a.container().fd(), VFIO_SET_IOMMU, value)).failsWith(Errno.EINVAL);
        }
    }

    /** SET_IOMMU of a type no driver offers (DMA_CC, EEH, SPAPR on x86, unknown) is ENODEV. */
    @Property(tries = 20)
    default void setIommu_unclaimedType_isEnodev(@ForAll("unclaimed") long value) throws Exception {
        try (Session s = new Session(target())) {
            VfioContainer c = s.vfio.openContainer();
            s.vfio.openGroup(target().group()).setContainer(c);
            assertThatVfioCall(() -> s.vfio.seam().ioctl(c.fd(), VFIO_SET_IOMMU, value)).failsWith(Errno.ENODEV);
            c.setIommu(IommuType.TYPE1V2);
        }
    }

    /** Extensions no x86 type1 container claims. */
    @Provide
    default Arbitrary<Long> unclaimed() {
        return Arbitraries.of(0L, (long) VFIO_DMA_CC_IOMMU, (long) VFIO_EEH, (long) VFIO_SPAPR_TCE_IOMMU,
                (long) VFIO_SPAPR_TCE_v2_IOMMU, 11L, 1000L, -1L);
    }

    /** I4: before SET_IOMMU every non-core ioctl is EINVAL; after it, unknown ones are ENOTTY. */
    @Property(tries = 60)
    default void nonCoreIoctls_einvalBeforeSetIommu_enottyAfterIfUnknown(@ForAll("nonCoreRequests") long request) throws Exception {
        try (Session s = new Session(target())) {
            VfioKernel k = s.vfio.seam();
            VfioContainer c = s.vfio.openContainer();
            MemorySegment arg = s.memory(1);
            arg.set(java.lang.foreign.ValueLayout.JAVA_INT, 0, 64);
            assertThatVfioCall(() -> k.ioctl(c.fd(), request, arg)).failsWith(Errno.EINVAL);
            Session.Attached a = s.attach(IommuType.TYPE1V2);
            boolean known = request == VFIO_IOMMU_GET_INFO || request == VFIO_IOMMU_MAP_DMA || request == VFIO_IOMMU_UNMAP_DMA
                    || (target().profile().hasDirtyPageTracking() && request == 0x3B75L); // VFIO_IOMMU_DIRTY_PAGES exists in 5.8+
            if (!known) {
                assertThatVfioCall(() -> k.ioctl(a.container().fd(), request, arg)).failsWith(Errno.ENOTTY);
            }
        }
    }

    /** A fresh container on a type1 host claims type1 and type1v2, not SPAPR, not DMA_CC before an IOMMU is set; UNMAP_ALL on 6.1. */
    @Property(tries = 10)
    default void checkExtension_onType1_claimsType1AndV2_notSpaprOrDmaCc(@ForAll("extensionValues") long unused) throws VfioException {
        try (Session s = new Session(target())) {
            VfioContainer c = s.vfio.openContainer();
            assertThat(c.checkExtension(VFIO_TYPE1_IOMMU)).isEqualTo(1);
            assertThat(c.checkExtension(VFIO_TYPE1v2_IOMMU)).isEqualTo(1);
            assertThat(c.checkExtension(VFIO_SPAPR_TCE_IOMMU)).isZero();
            assertThat(c.checkExtension(VFIO_DMA_CC_IOMMU)).as("no IOMMU set yet").isZero();
            assertThat(c.checkExtension(VFIO_UNMAP_ALL)).isEqualTo(target().profile().hasUnmapAllAndVaddr() ? 1 : 0);
        }
    }
}
