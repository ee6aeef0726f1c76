/* SPDX-License-Identifier: MIT */
/* Function names for tracebacks.  The executable's ELF .symtab names static
 * functions too, which dladdr (dynamic symbols only) cannot; shared objects
 * fall back to dladdr.  The table is built on first use, possibly inside a
 * crash, so it is built without malloc or stdio: the file is mapped, the
 * function symbols are copied into an anonymous mapping and heap-sorted in
 * place.  Concurrent first users each build a table and one publishes it. */
#include <dlfcn.h>
#include <elf.h>
#include <fcntl.h>
#include <limits.h>
#include <link.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "sched/diag.h"

struct sym_entry {
    uintptr_t addr;     /* run-time address */
    uint32_t  size;     /* 0 when the symbol does not say */
    uint32_t  name;     /* offset into the string table */
    bool      global;
};

struct symtab {
    struct sym_entry *entries;
    size_t            n;
    size_t            mapped;     /* bytes of the anonymous mapping */
    const uint8_t    *file;       /* the executable, mapped */
    size_t            file_size;
    const char       *strtab;
    size_t            strtab_size;
    uintptr_t         bias;       /* load address minus link address */
    uintptr_t         base;       /* where the first segment is mapped */
    char              path[PATH_MAX];
};

static struct symtab *_Atomic published;
static _Atomic bool build_failed;

/* Orders by address; at one address the entry to keep sorts first: a global
 * name over a local alias, a sized symbol over an unsized one. */
static bool entry_less(const struct sym_entry *a, const struct sym_entry *b) {
    if (a->addr != b->addr)
        return a->addr < b->addr;
    if (a->global != b->global)
        return a->global;
    return a->size > b->size;
}

static void sift_down(struct sym_entry *v, size_t root, size_t n) {
    for (;;) {
        size_t child = 2 * root + 1;
        if (child >= n)
            return;
        if (child + 1 < n && entry_less(&v[child], &v[child + 1]))
            child++;
        if (!entry_less(&v[root], &v[child]))
            return;
        struct sym_entry t = v[root];
        v[root] = v[child];
        v[child] = t;
        root = child;
    }
}

static void heap_sort(struct sym_entry *v, size_t n) {
    for (size_t i = n / 2; i-- > 0;)
        sift_down(v, i, n);
    for (size_t end = n; end-- > 1;) {
        struct sym_entry t = v[0];
        v[0] = v[end];
        v[end] = t;
        sift_down(v, 0, end);
    }
}

/* Load bias of the executable, checking that the mapped file really is the
 * running program (it is not when started as "ld.so prog"). */
static bool exe_bias(const uint8_t *file, size_t size, uintptr_t *bias, uintptr_t *base) {
    const Elf64_Ehdr *eh = (const Elf64_Ehdr *)file;
    uintptr_t at_phdr = getauxval(AT_PHDR);
    unsigned long at_phnum = getauxval(AT_PHNUM);
    if (!at_phdr || at_phnum != eh->e_phnum || eh->e_phentsize != sizeof(Elf64_Phdr) ||
        eh->e_phoff > size || size - eh->e_phoff < at_phnum * sizeof(Elf64_Phdr))
        return false;
    const Elf64_Phdr *ph = (const Elf64_Phdr *)(file + eh->e_phoff);
    if (memcmp(ph, (const void *)at_phdr, at_phnum * sizeof(Elf64_Phdr)) != 0)
        return false;
    bool found = false;
    uintptr_t first_load = UINTPTR_MAX;
    for (unsigned long i = 0; i < at_phnum; i++) {
        if (ph[i].p_type == PT_PHDR) {
            *bias = at_phdr - ph[i].p_vaddr;
            found = true;
        }
        if (ph[i].p_type == PT_LOAD && ph[i].p_vaddr < first_load)
            first_load = ph[i].p_vaddr;
    }
    for (unsigned long i = 0; i < at_phnum && !found; i++) {
        if (ph[i].p_type == PT_LOAD && ph[i].p_offset == 0) {
            *bias = at_phdr - (ph[i].p_vaddr + eh->e_phoff);
            found = true;
        }
    }
    uintptr_t page = getauxval(AT_PAGESZ);
    *base = *bias + (first_load & ~(page - 1));
    return found && first_load != UINTPTR_MAX && page != 0;
}

static bool is_function(const Elf64_Sym *s) {
    int type = ELF64_ST_TYPE(s->st_info);
    return (type == STT_FUNC || type == STT_GNU_IFUNC) && s->st_shndx != SHN_UNDEF &&
           s->st_value != 0;
}

static void *map_exe(struct symtab *t, size_t *size) {
    ssize_t len = readlink("/proc/self/exe", t->path, sizeof t->path - 1);
    if (len <= 0)
        return NULL;
    t->path[len] = '\0';
    int fd = open("/proc/self/exe", O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return NULL;
    struct stat st;
    void *file = MAP_FAILED;
    if (fstat(fd, &st) == 0 && (size_t)st.st_size >= sizeof(Elf64_Ehdr))
        file = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
    close(fd);
    if (file == MAP_FAILED)
        return NULL;
    *size = (size_t)st.st_size;
    return file;
}

static struct symtab *build(void) {
    struct symtab *t = mmap(NULL, sizeof *t, PROT_READ | PROT_WRITE,
                            MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (t == MAP_FAILED)
        return NULL;
    size_t size = 0;
    const uint8_t *file = map_exe(t, &size);
    if (!file)
        goto fail;
    t->file = file;
    t->file_size = size;
    const Elf64_Ehdr *eh = (const Elf64_Ehdr *)file;
    if (memcmp(eh->e_ident, ELFMAG, SELFMAG) != 0 || eh->e_ident[EI_CLASS] != ELFCLASS64 ||
        eh->e_shentsize != sizeof(Elf64_Shdr) || eh->e_shoff > size ||
        (size - eh->e_shoff) / sizeof(Elf64_Shdr) < eh->e_shnum ||
        !exe_bias(file, size, &t->bias, &t->base))
        goto fail_unmap;
    const Elf64_Shdr *sh = (const Elf64_Shdr *)(file + eh->e_shoff);
    const Elf64_Shdr *symsec = NULL;
    for (unsigned i = 0; i < eh->e_shnum; i++)
        if (sh[i].sh_type == SHT_SYMTAB)
            symsec = &sh[i];
    if (!symsec || symsec->sh_link >= eh->e_shnum || symsec->sh_entsize != sizeof(Elf64_Sym) ||
        symsec->sh_offset > size || size - symsec->sh_offset < symsec->sh_size)
        goto fail_unmap;
    const Elf64_Shdr *strsec = &sh[symsec->sh_link];
    if (strsec->sh_offset > size || size - strsec->sh_offset < strsec->sh_size)
        goto fail_unmap;
    const Elf64_Sym *syms = (const Elf64_Sym *)(file + symsec->sh_offset);
    size_t nsyms = symsec->sh_size / sizeof(Elf64_Sym);
    t->strtab = (const char *)(file + strsec->sh_offset);
    t->strtab_size = strsec->sh_size;

    size_t n = 0;
    for (size_t i = 0; i < nsyms; i++)
        if (is_function(&syms[i]) && syms[i].st_name < t->strtab_size)
            n++;
    if (n == 0)
        goto fail_unmap;
    t->mapped = n * sizeof(struct sym_entry);
    t->entries = mmap(NULL, t->mapped, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
                      -1, 0);
    if (t->entries == MAP_FAILED)
        goto fail_unmap;
    for (size_t i = 0; i < nsyms; i++) {
        const Elf64_Sym *s = &syms[i];
        if (!is_function(s) || s->st_name >= t->strtab_size)
            continue;
        t->entries[t->n++] = (struct sym_entry){
            .addr = s->st_value + t->bias,
            .size = s->st_size > UINT32_MAX ? UINT32_MAX : (uint32_t)s->st_size,
            .name = s->st_name,
            .global = ELF64_ST_BIND(s->st_info) != STB_LOCAL,
        };
    }
    heap_sort(t->entries, t->n);
    size_t kept = 0;
    for (size_t i = 0; i < t->n; i++)
        if (kept == 0 || t->entries[kept - 1].addr != t->entries[i].addr)
            t->entries[kept++] = t->entries[i];
    t->n = kept;
    return t;

fail_unmap:
    munmap((void *)file, size);
fail:
    munmap(t, sizeof *t);
    return NULL;
}

static struct symtab *get_symtab(void) {
    struct symtab *t = aload(&published, memory_order_acquire);
    if (t || aload(&build_failed, memory_order_relaxed))
        return t;
    struct symtab *mine = build();
    if (!mine) {
        astore(&build_failed, true, memory_order_relaxed);
        return NULL;
    }
    struct symtab *expected = NULL;
    if (acas(&published, &expected, mine, memory_order_acq_rel, memory_order_acquire))
        return mine;
    /* Another thread won; its table is the same as ours. */
    munmap(mine->entries, mine->mapped);
    munmap((void *)mine->file, mine->file_size);
    munmap(mine, sizeof *mine);
    return expected;
}

static bool lookup_exe(struct symtab *t, uintptr_t pc, goc_symbol *out) {
    size_t lo = 0, hi = t->n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (t->entries[mid].addr <= pc)
            lo = mid + 1;
        else
            hi = mid;
    }
    if (lo == 0)
        return false;
    const struct sym_entry *e = &t->entries[lo - 1];
    /* An unsized symbol (hand-written assembly) extends to the next one. */
    if (e->size != 0 && pc - e->addr >= e->size)
        return false;
    if (e->size == 0 && lo == t->n)
        return false;
    out->name = t->strtab + e->name;
    out->start = e->addr;
    out->module = t->path;
    out->global = e->global;
    return true;
}

bool symbolize(uintptr_t pc, goc_symbol *out) {
    struct symtab *t = get_symtab();
    if (t && lookup_exe(t, pc, out))
        return true;
    Dl_info info;
    if (!dladdr((void *)pc, &info) || !info.dli_fname)
        return false;
    out->module = info.dli_fname;
    out->name = info.dli_sname;
    out->start = (uintptr_t)info.dli_saddr;
    out->global = true;   /* dladdr knows dynamic, hence exported, symbols only */
    /* In the executable .symtab has already said all there is: dladdr's
     * nearest dynamic symbol would be some unrelated exported object.  (The
     * main program's link map has an empty name.) */
    if (t && (info.dli_fname[0] == '\0' || (uintptr_t)info.dli_fbase == t->base)) {
        out->module = t->path;
        out->name = NULL;
    }
    if (!out->name || !out->start) {
        out->name = NULL;
        out->start = (uintptr_t)info.dli_fbase;
    }
    return true;
}

bool symbolize_is_text(uintptr_t pc) {
    goc_symbol s;
    return symbolize(pc, &s) && s.name != NULL;
}
