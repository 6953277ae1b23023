/**
 * The simulated backend: a VFIO kernel in the JVM behind vfio4j's system-call seam
 * ({@link org.vfio4j.sim.SimulatedHost}, {@link org.vfio4j.sim.SimulatedKernel}). Uses no
 * restricted methods, so it runs in any JVM without flags.
 */
module org.vfio4j.sim {
    requires transitive org.vfio4j;
    requires com.google.common.jimfs;
    // Jimfs is an automatic module, and automatic modules declare no dependencies: without this
    // line Guava is not resolved on the module path and Jimfs fails with NoClassDefFoundError.
    requires com.google.common;
    exports org.vfio4j.sim;
    exports org.vfio4j.sim.device;
    exports org.vfio4j.sim.user;
}
