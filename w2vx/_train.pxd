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
    # Hot rows (see RowCache): slot of each word / inner node among the most used
    # rows, -1 elsewhere; NULL when the model has none.
    const int32_t *hot_word_slot
    const int64_t *hot_word_rows     # slot -> word id
    int hot_words
    const int32_t *hot_node_slot
    const int64_t *hot_node_rows     # slot -> inner node id
    int hot_nodes
    int64_t hot_flush_words          # words a thread trains between flushes of its copies

# A thread's private copies of the hottest rows of one weight matrix.  Rows used
# by every thread (frequent words, inner nodes near the Huffman root) would
# otherwise bounce between the cores' caches on every update; a thread instead
# updates its own copy and adds its accumulated change to the shared row every
# HOT_FLUSH_WORDS words (Hogwild with a short delay on those rows only).
ctypedef struct RowCache:
    float *shared                # the matrix
    float *local                 # n_slots x size: the thread's copies
    float *base                  # n_slots x size: the shared rows when copied
    size_t mapped_bytes          # local, base and the bookkeeping below are one mmap
    uint8_t *loaded
    int32_t *loaded_slots        # which slots hold a copy, in load order
    int n_loaded
    int n_slots                  # 0: the cache is off, every row is shared
    const int32_t *slot_of
    const int64_t *row_of

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
    RowCache input_cache         # syn0
    RowCache output_cache        # syn1neg
    RowCache node_cache          # syn1
    int64_t words_since_flush

cdef void *alloc_lines(size_t nbytes) noexcept nogil
cdef int worker_init(Worker *w, const Model *m, uint64_t seed, int private_hot_rows) noexcept nogil
cdef void worker_free(Worker *w, const Model *m) noexcept nogil
cdef int64_t train_sentence(const Model *m, Worker *w, const int32_t *sentence,
                            int64_t length, float alpha) noexcept nogil

cdef class KernelModel:
    cdef Model m
    cdef object _arrays
