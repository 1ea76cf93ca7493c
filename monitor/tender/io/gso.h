/* gso.h: splits one frame read from a vnet TAP (GSO or with a partial checksum) into MTU-sized frames for ring slots. */
#ifndef TB_GSO_H
#define TB_GSO_H

#include <linux/virtio_net.h>
#include <stddef.h>
#include <stdint.h>

#ifndef VIRTIO_NET_HDR_GSO_UDP_L4
#define VIRTIO_NET_HDR_GSO_UDP_L4 5 /* Linux 6.2's UDP segmentation offload (USO); older headers lack it */
#endif

#define TB_GSO_MAX_HDR 256u  /* Ethernet + IP (+ IPv6 extension headers) + TCP with options: more is refused */

/* The frame as the TAP delivered it: its vnet header, then its bytes in two pieces (the first slot, the rest). */
struct tb_gso_in {
    struct virtio_net_hdr h;
    const uint8_t *p0;
    size_t n0;
    const uint8_t *p1;
    size_t n1;
};

/* Where the frames go: buf[k] is frame k's slot (cap bytes; buf[0] may be p0 itself: then frame 0 stays in place). */
struct tb_gso_out {
    uint8_t *const *buf;
    unsigned max;        /* slots available */
    size_t cap;
    uint32_t *len;       /* out: frame lengths */
    uint16_t *flags;     /* out: TB_SLOT_F_* */
};

/*
 * Returns the frames written (1 for a frame that needed no split), or -1 when the frame
 * cannot be delivered (malformed offsets, an unsupported GSO type, too big for a slot).
 * *dropped counts segments beyond out->max. `lazy`: leave L4 checksums the kernel left
 * partial as they are (the guest accepted TB_SHM_F_CSUM_LAZY); otherwise complete them.
 * Either way frames whose checksum the kernel verified or we completed are flagged valid.
 */
int tb_gso_split(const struct tb_gso_in *in, const struct tb_gso_out *out, int lazy, unsigned *dropped);

/* A frame tb_gso_split left lazy, its L4 checksum completed after all (as a split that is not lazy leaves it): for
 * an impaired NIC whose new configuration may hold or corrupt frames split while it let them all through. start and
 * offset are the vnet header's csum_start and csum_offset, gso whether the frame is a segment of a GSO frame. */
void tb_gso_complete_lazy(uint8_t *frame, size_t len, size_t start, size_t offset, int gso);

#endif /* TB_GSO_H */
