/**
 * Serving a simulated PCI function to a real VMM over vfio-user ({@link
 * org.vfio4j.sim.user.VfioUserServer}): the server is a VFIO program of the simulated kernel, so the
 * client sees every rule the simulator models.
 */
package org.vfio4j.sim.user;
