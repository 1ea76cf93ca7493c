/* fuzz_elf.c: libFuzzer target: each input is a guest image file that the monitor's own elf/ code maps, checks and loads. */
#include <elf.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "elf.h"
#include "exitcodes.h"
#include "fuzz_exit.h"
#include "manifest.h"
#include "module.h"

#define GUEST_MEM (2u << 20) /* our guests need ~1.4 MiB; a small RAM also reaches the "does not fit" checks */

static int image_fd = -1;
static char image_path[64];
static uint8_t *guest_mem;
/* Static, not locals: they are written between setjmp and a longjmp back to it. */
static struct tb_vm vm;
static struct tb_image img;
static struct tb_manifest mft;
static void *image_copy;
static const struct tb_module *const no_modules[] = { NULL };

/*
 * elf.c maps the image read-only. Here that mapping is a heap copy of exactly the
 * file's size, so AddressSanitizer sees any read past its end (a real mapping
 * would read zeros up to the end of the last page).
 */
void *__real_mmap(void *addr, size_t len, int prot, int flags, int fd, off_t off);
void *__wrap_mmap(void *addr, size_t len, int prot, int flags, int fd, off_t off)
{
    if (!fuzz_catching || addr || prot != PROT_READ || off != 0 || image_copy)
        return __real_mmap(addr, len, prot, flags, fd, off);
    uint8_t *copy = malloc(len);
    if (!copy)
        return MAP_FAILED;
    for (size_t done = 0; done < len;) {
        ssize_t n = pread(fd, copy + done, len - done, (off_t)done);
        if (n <= 0) {
            free(copy);
            return MAP_FAILED;
        }
        done += (size_t)n;
    }
    image_copy = copy;
    return copy;
}

int __real_munmap(void *addr, size_t len);
int __wrap_munmap(void *addr, size_t len)
{
    if (addr && addr == image_copy) {
        free(image_copy);
        image_copy = NULL;
        return 0;
    }
    return __real_munmap(addr, len);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    fuzz_quiet_stdio();
    image_fd = memfd_create("fuzz-elf-image", MFD_CLOEXEC);
    guest_mem = malloc(GUEST_MEM);
    if (image_fd < 0 || !guest_mem) {
        perror("fuzz-elf: set-up");
        abort();
    }
    snprintf(image_path, sizeof image_path, "/proc/self/fd/%d", image_fd);
    return 0;
}

static void write_image(const uint8_t *data, size_t size)
{
    if (ftruncate(image_fd, 0) < 0)
        abort();
    for (size_t done = 0; done < size;) {
        ssize_t n = pwrite(image_fd, data + done, size - done, (off_t)done);
        if (n <= 0)
            abort();
        done += (size_t)n;
    }
}

/* What the rest of the monitor relies on once the image was accepted. */
static void check_loaded(void)
{
    FUZZ_CHECK(vm.entry >= HVT_GUEST_MIN_BASE && vm.entry < vm.mem_size, "entry point outside guest RAM");
    FUZZ_CHECK(vm.kernel_end <= vm.mem_size && vm.kernel_end % 0x1000 == 0, "kernel end outside guest RAM");
    FUZZ_CHECK(vm.ro_count <= TB_MAX_RO_RANGES, "too many read-only ranges");
    for (unsigned i = 0; i < vm.ro_count; i++) {
        const struct tb_range *r = &vm.ro[i];
        FUZZ_CHECK(r->start < r->end && r->end <= vm.mem_size, "read-only range empty or outside guest RAM");
        FUZZ_CHECK(r->start % 0x1000 == 0 && r->end % 0x1000 == 0, "read-only range not page-aligned");
        FUZZ_CHECK(i == 0 || vm.ro[i - 1].end < r->start, "read-only ranges not sorted and apart");
    }
    FUZZ_CHECK(mft.size == 8 + (uint64_t)mft.m->entries * sizeof(struct mft_entry), "manifest size");
    FUZZ_CHECK(TB_MFT_GPA + mft.size <= TB_CMDLINE_GPA, "manifest overruns its low-memory page");
    for (unsigned i = 0; i < mft.m->entries; i++)
        FUZZ_CHECK(memchr(mft.m->e[i].name, 0, sizeof mft.m->e[i].name) != NULL, "manifest name not terminated");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    write_image(data, size);
    memset(&img, 0, sizeof img);
    memset(&mft, 0, sizeof mft);
    memset(&vm, 0, sizeof vm);
    vm.mem = guest_mem;
    vm.mem_size = GUEST_MEM;
    vm.modules = no_modules;

    fuzz_catching = 1;
    if (setjmp(fuzz_refused) == 0) {
        tb_elf_read(&img, image_path);
        tb_manifest_read(&img, &mft);
        tb_elf_load(&img, &vm);
        tb_manifest_install(&vm, &mft);
        fuzz_catching = 0;
        check_loaded();
        if (getenv("FUZZ_VERBOSE"))
            fprintf(stderr, "fuzz-elf: loaded: entry 0x%llx, %u manifest entries, %u read-only ranges\n",
                    (unsigned long long)vm.entry, mft.m->entries, vm.ro_count);
    } else {
        /* A refused image: solo5-hvt's status 1, or 125 when the monitor itself ran out of something. */
        FUZZ_CHECK(fuzz_exit_status == TB_EXIT_SOLO5 || fuzz_exit_status == TB_EXIT_CONFIG, "unexpected exit status");
    }
    fuzz_catching = 0;
    free(mft.m);
    if (image_copy)
        __wrap_munmap(image_copy, img.size);
    return 0;
}
