package org.vfio4j;

/**
 * VFIO_GROUP_GET_STATUS: whether the group is viable (every device in it is bound to a VFIO
 * driver, a stub, or nothing) and whether it is attached to a container.
 */
public record GroupStatus(boolean viable, boolean containerSet) {}
