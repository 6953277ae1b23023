package org.vfio4j.sim;

/** An open {@code /dev/vfio/vfio}. */
record ContainerFile(Container container) implements OpenFile {
    @Override
    public String kind() {
        return "VFIO container";
    }
}
