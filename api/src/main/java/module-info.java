/**
 * vfio4j's API: the typed VFIO API ({@code org.vfio4j}), the ABI of {@code <linux/vfio.h>}
 * ({@code org.vfio4j.uapi}) and the system-call seam the backends implement
 * ({@code org.vfio4j.spi}).
 */
module org.vfio4j {
    exports org.vfio4j;
    uses org.vfio4j.VfioBackend;
    // The system-call seam is a supported API (ported C code and tests call it through Vfio.seam()),
    // and the simulator's SimulatedKernel implements it: a user's module calling the simulator must see it.
    exports org.vfio4j.spi;
    exports org.vfio4j.user;
    exports org.vfio4j.uapi to org.vfio4j.sim, org.vfio4j.kernel, org.vfio4j.fixtures, org.vfio4j.conformance;
}
