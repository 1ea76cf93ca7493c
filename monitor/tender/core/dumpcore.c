/* dumpcore.c: writes the guest's core as an ELF ET_CORE file: one NT_PRSTATUS note, one PT_LOAD of guest RAM. */
#include <elf.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/procfs.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <sys/user.h>
#include <unistd.h>

#include "args.h"
#include "dumpcore.h"
#include "log.h"

#define PAGE 4096ULL

void tb_dumpcore_setup(struct tb_vm *vm)
{
    const char *dir_path = vm->cfg->dumpcore_dir;
    if (!dir_path)
        return;
    vm->dumpcore_dir_fd = open(dir_path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (vm->dumpcore_dir_fd < 0)
        tb_die_errno("--dumpcore=%s", dir_path);
    if (faccessat(vm->dumpcore_dir_fd, ".", W_OK, AT_EACCESS) < 0)
        tb_die_errno("--dumpcore=%s: directory not writable", dir_path);
}

/* The vCPU's registers in the layout gdb reads from a Linux x86_64 core (struct user_regs_struct). */
static int fill_prstatus(const struct tb_vm *vm, struct elf_prstatus *st)
{
    struct kvm_regs r;
    struct kvm_sregs s;
    if (ioctl(vm->vcpu_fd, KVM_GET_REGS, &r) < 0 || ioctl(vm->vcpu_fd, KVM_GET_SREGS, &s) < 0)
        return -1;
    struct user_regs_struct u = {
        .r15 = r.r15, .r14 = r.r14, .r13 = r.r13, .r12 = r.r12, .rbp = r.rbp, .rbx = r.rbx,
        .r11 = r.r11, .r10 = r.r10, .r9 = r.r9, .r8 = r.r8, .rax = r.rax, .rcx = r.rcx,
        .rdx = r.rdx, .rsi = r.rsi, .rdi = r.rdi, .orig_rax = ~0ULL, .rip = r.rip,
        .cs = s.cs.selector, .eflags = r.rflags, .rsp = r.rsp, .ss = s.ss.selector,
        .fs_base = s.fs.base, .gs_base = s.gs.base, .ds = s.ds.selector, .es = s.es.selector,
        .fs = s.fs.selector, .gs = s.gs.selector,
    };
    memset(st, 0, sizeof *st);
    st->pr_pid = getpid();
    memcpy(&st->pr_reg, &u, sizeof u < sizeof st->pr_reg ? sizeof u : sizeof st->pr_reg);
    return 0;
}

struct core_head {
    Elf64_Ehdr eh;
    Elf64_Phdr note, load;
    Elf64_Nhdr nh;
    char name[8];          /* "CORE", padded to 8 */
    struct elf_prstatus st;
};

static int write_head(int fd, const struct tb_vm *vm, uint64_t *mem_offset)
{
    struct core_head h;
    memset(&h, 0, sizeof h);
    if (fill_prstatus(vm, &h.st) < 0)
        return -1;
    memcpy(h.eh.e_ident, ELFMAG, SELFMAG);
    h.eh.e_ident[EI_CLASS] = ELFCLASS64;
    h.eh.e_ident[EI_DATA] = ELFDATA2LSB;
    h.eh.e_ident[EI_VERSION] = EV_CURRENT;
    h.eh.e_ident[EI_OSABI] = ELFOSABI_STANDALONE;
    h.eh.e_type = ET_CORE;
    h.eh.e_machine = EM_X86_64;
    h.eh.e_version = EV_CURRENT;
    h.eh.e_ehsize = sizeof h.eh;
    h.eh.e_phoff = offsetof(struct core_head, note);
    h.eh.e_phentsize = sizeof(Elf64_Phdr);
    h.eh.e_phnum = 2;
    uint64_t note_size = sizeof h.nh + sizeof h.name + sizeof h.st;
    h.note = (Elf64_Phdr){ .p_type = PT_NOTE, .p_offset = offsetof(struct core_head, nh), .p_filesz = note_size };
    /* Guest RAM starts page-aligned after the headers, so the file can stay sparse where the guest never wrote. */
    *mem_offset = (sizeof h + PAGE - 1) & ~(PAGE - 1);
    h.load = (Elf64_Phdr){ .p_type = PT_LOAD, .p_flags = PF_R | PF_W | PF_X, .p_offset = *mem_offset,
                           .p_filesz = vm->mem_size, .p_memsz = vm->mem_size };
    h.nh = (Elf64_Nhdr){ .n_namesz = 5, .n_descsz = sizeof h.st, .n_type = NT_PRSTATUS };
    memcpy(h.name, "CORE", 5);
    return pwrite(fd, &h, sizeof h, 0) == (ssize_t)sizeof h ? 0 : -1;
}

/* Only pages the host ever backed can hold anything but zeros: mincore finds them. */
static int write_memory(int fd, const struct tb_vm *vm, uint64_t offset, uint64_t *written)
{
    size_t pages = vm->mem_size / PAGE;
    unsigned char *resident = malloc(pages);
    if (!resident || mincore(vm->mem, vm->mem_size, resident) < 0) {
        free(resident);
        return -1;
    }
    int rc = 0;
    *written = 0;
    for (size_t p = 0; p < pages && rc == 0; p++) {
        if (!(resident[p] & 1))
            continue;
        if (pwrite(fd, vm->mem + p * PAGE, PAGE, (off_t)(offset + p * PAGE)) != (ssize_t)PAGE)
            rc = -1;
        (*written)++;
    }
    free(resident);
    /* The file's length covers all of RAM even when its last pages were never touched. */
    if (rc == 0 && ftruncate(fd, (off_t)(offset + vm->mem_size)) < 0)
        rc = -1;
    return rc;
}

void tb_dumpcore_write(struct tb_vm *vm)
{
    int dir_fd = vm->dumpcore_dir_fd;
    const char *dir_path = vm->cfg->dumpcore_dir;
    if (dir_fd < 0)
        return;
    char name[64];
    snprintf(name, sizeof name, "core.solo5-hvt.%d", (int)getpid()); /* solo5-hvt's name: tools look for it */
    int fd = openat(dir_fd, name, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, S_IRUSR | S_IWUSR);
    if (fd < 0) {
        tb_warn("dumpcore: cannot create %s/%s", dir_path, name);
        return;
    }
    fflush(stdout);
    fprintf(stderr, "tb-monitor: dumpcore: writing the guest's core to %s/%s\n", dir_path, name);
    uint64_t offset = 0, pages = 0;
    if (write_head(fd, vm, &offset) < 0 || write_memory(fd, vm, offset, &pages) < 0)
        tb_warn("dumpcore: writing %s/%s failed: the core is incomplete", dir_path, name);
    else
        fprintf(stderr, "tb-monitor: dumpcore: %llu of %llu pages written\n", (unsigned long long)pages,
                (unsigned long long)(vm->mem_size / PAGE));
    close(fd);
}
