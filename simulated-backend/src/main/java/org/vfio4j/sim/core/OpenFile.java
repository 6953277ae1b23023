package org.vfio4j.sim.core;

/** What an fd of the simulated kernel refers to ({@code struct file}'s private data). */
public sealed interface OpenFile permits ContainerFile, GroupFile, DeviceFile, EventFdFile, DmaBufFile {
    /** For messages: "container", "group", "device", "eventfd". */
    String kind();
}
