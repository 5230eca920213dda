#include "backup_file.hpp"

#include <fmt/format.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>

#include "quicktools/error.hpp"

namespace quicktools::db {

void refuse_existing_backup(const std::string& dest) {
    struct stat st {};
    if (::lstat(dest.c_str(), &st) == 0)
        throw refusal(fmt::format("{} already exists; choose another backup path", dest));
}

PartialBackupFile::PartialBackupFile(const std::string& dest) : m_path(dest + ".partial-XXXXXX") {
    const int fd = ::mkstemp(m_path.data());
    if (fd < 0) throw Error(fmt::format("cannot create backup {}: {}", dest, std::strerror(errno)));
    ::close(fd);
}

PartialBackupFile::~PartialBackupFile() {
    if (m_path.empty()) return;
    ::unlink(m_path.c_str());
    ::unlink((m_path + "-journal").c_str());
}

void PartialBackupFile::publish(const std::string& dest) {
    if (::link(m_path.c_str(), dest.c_str()) != 0) {
        if (errno == EEXIST) throw refusal(fmt::format("{} already exists; choose another backup path", dest));
        refuse_existing_backup(dest);
        if (::rename(m_path.c_str(), dest.c_str()) != 0)
            throw Error(fmt::format("cannot move the finished backup to {}: {}", dest, std::strerror(errno)));
    } else {
        ::unlink(m_path.c_str());
    }
    m_path.clear();
}

}  // namespace quicktools::db
