package org.vfio4j;

/**
 * One capability in a function's config space as the user sees it through VFIO (hidden ones are
 * unlinked by vfio-pci).
 *
 * @param id       capability id (standard: 8 bits; extended: 16 bits)
 * @param offset   where it starts in config space
 * @param extended whether it is in the extended chain from 0x100
 * @param version  an extended capability's version (0 for standard ones)
 */
public record PciCapability(int id, int offset, boolean extended, int version) {}
