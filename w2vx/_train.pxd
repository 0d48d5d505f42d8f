# The word2vec training kernel, shared by _train.pyx (iterables) and _corpusfile.pyx.
from libc.stdint cimport int32_t, int64_t, uint64_t, uint8_t

cdef enum:
    EXP_TABLE_SIZE = 1000
    MAX_EXP = 6

# Everything the kernel reads or updates, as raw pointers into arrays owned by
# a KernelModel (which keeps them alive).  Read-only except the three weight
# matrices, which all threads update without locks (Hogwild).
ctypedef struct Model:
    float *syn0
    float *syn1
    float *syn1neg
    const float *keep_prob       # per word; NULL when sample == 0
    const float *alias_prob      # negative sampling alias table
    const int32_t *alias_index
    const uint8_t *codes         # Huffman codes, flat; word w owns [code_offsets[w], code_offsets[w+1])
    const int32_t *points
    const int64_t *code_offsets
    int64_t vocab_size
    int max_code_length
    int size
    int window
    int negative
    int hs
    int sg
    int cbow_mean
    int shrink_windows
    int compute_loss

# Per-thread scratch and random state.
ctypedef struct Worker:
    uint64_t next_random
    void *scratch                # one cache-line-aligned block holding the buffers below
    float *neu1
    float *neu1e
    int32_t *kept                # the sentence after subsampling
    int64_t *samples             # target + negative words of this update
    int64_t *next_samples        # negatives of the next update, drawn ahead
    int have_next_samples
    float **rows                 # output rows of one prediction (hs path or target + negatives)
    float *scores                # their dot products with the hidden vector
    float *grads                 # their gradient scales
    int64_t kept_capacity
    double loss

cdef void *alloc_lines(size_t nbytes) noexcept nogil
cdef int worker_init(Worker *w, const Model *m, uint64_t seed) noexcept nogil
cdef void worker_free(Worker *w) noexcept nogil
cdef int64_t train_sentence(const Model *m, Worker *w, const int32_t *sentence,
                            int64_t length, float alpha) noexcept nogil

cdef class KernelModel:
    cdef Model m
    cdef object _arrays
