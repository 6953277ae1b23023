/**
 * The conformance suite both backends must pass, and the command-line entry point. Only the
 * contracts are exported: the CLI ({@code cli}), the QEMU lane ({@code lane}) and the suite runner
 * ({@code run}) are launched from the class path ({@code ./vfio4j}) and used by this module's own
 * tests, never by another module.
 */
module org.vfio4j.conformance {
    requires transitive org.vfio4j;
    requires transitive org.vfio4j.sim;
    requires transitive net.jqwik.api;
    requires org.vfio4j.kernel;
    requires com.google.common.jimfs; // the fixture benchmark's baseline
    requires java.management; // the heap the benchmarks measure
    requires transitive org.vfio4j.fixtures;
    requires org.assertj.core;
    requires org.junit.platform.launcher;
    exports org.vfio4j.conformance;
}
