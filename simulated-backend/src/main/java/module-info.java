/** The simulated backend: a VFIO kernel in the JVM behind vfio4j's system-call seam. Uses no restricted methods. */
module org.vfio4j.sim {
    requires transitive org.vfio4j;
}
