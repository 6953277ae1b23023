/** The conformance suite both backends must pass, and the command-line entry point. */
module org.vfio4j.conformance {
    requires transitive org.vfio4j;
    requires transitive org.vfio4j.sim;
    requires transitive net.jqwik.api;
    requires org.vfio4j.kernel;
    requires transitive org.vfio4j.fixtures;
    requires org.assertj.core;
    requires org.junit.platform.launcher;
    exports org.vfio4j.conformance;
    exports org.vfio4j.conformance.cli;
    exports org.vfio4j.conformance.lane;
    exports org.vfio4j.conformance.run;
}
