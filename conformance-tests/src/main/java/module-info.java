/** The conformance suite both backends must pass, and the command-line entry point. */
module org.vfio4j.conformance {
    requires org.vfio4j;
    requires org.vfio4j.kernel;
    requires org.vfio4j.sim;
    requires org.vfio4j.fixtures;
    requires net.jqwik.api;
    requires org.assertj.core;
    exports org.vfio4j.conformance;
    exports org.vfio4j.conformance.cli;
}
